//! Times one import of each large fixture (a 50-page PDF, a 50-slide deck), for the report the
//! import's budget (≤ 2 s each) is checked against. Run it optimised:
//! `cargo run --release -p lyceum-content --example import_time`.

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for name in ["long.pdf", "long.pptx"] {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path)?;
        let started = Instant::now();
        let outline = lyceum_content::import(&bytes)?;
        let elapsed = started.elapsed();
        let slides: usize = outline.modules.iter().map(|m| m.slides.len()).sum();
        println!(
            "{name}: {} bytes, {} modules, {slides} slides, imported in {elapsed:.1?}",
            bytes.len(),
            outline.modules.len()
        );
    }
    Ok(())
}
