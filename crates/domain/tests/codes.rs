//! Ties the code table to the outside world: every code API.md names is in it with API.md's
//! status, and `docs/codes.md` is the table as generated (`UPDATE_CODES=1` rewrites it).

use std::path::{Path, PathBuf};

use lyceum_domain::code::Code;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// API.md, which lives in `shared/` beside the repository. Absent on a developer's machine the
/// test is skipped, loudly; in CI (`CI=true`) its absence is a failure.
fn api_md() -> Option<String> {
    let path = repo_root().join("../shared/spec/API.md");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("API.md must be readable in CI at {}: {e}", path.display())
        }
        Err(e) => {
            eprintln!("SKIPPED: API.md not found at {} ({e}); codes not checked against the spec", path.display());
            None
        }
    }
}

/// The `(code, status)` rows of API.md's code tables: `| \`code\` | 409 | when |`.
fn table_rows(api: &str) -> Vec<(String, u16)> {
    api.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
            let [code, status, ..] = cells.as_slice() else { return None };
            let code = code.strip_prefix('`')?.strip_suffix('`')?;
            let status: u16 = status.parse().ok()?;
            Some((code.to_owned(), status))
        })
        .collect()
}

/// Codes named in prose: "code `csrf`".
fn prose_codes(api: &str) -> Vec<String> {
    api.split("code `").skip(1).filter_map(|rest| rest.split('`').next()).map(str::to_owned).collect()
}

#[test]
fn every_code_api_md_names_is_in_the_table_with_its_status() {
    let Some(api) = api_md() else { return };
    let rows = table_rows(&api);
    assert!(rows.len() >= 20, "API.md's code tables not found (parsed {} rows)", rows.len());
    for (name, status) in &rows {
        let code = Code::parse(name).unwrap_or_else(|| panic!("API.md names `{name}`, which is not in Code"));
        assert_eq!(code.status(), *status, "`{name}`: API.md says {status}, the table {}", code.status());
    }
    for name in prose_codes(&api) {
        assert!(Code::parse(&name).is_some(), "API.md names code `{name}`, which is not in Code");
    }
}

#[test]
fn docs_codes_md_is_generated_from_the_table() {
    let path = repo_root().join("docs/codes.md");
    let want = Code::markdown();
    if std::env::var("UPDATE_CODES").as_deref() == Ok("1") {
        std::fs::write(&path, &want).expect("write docs/codes.md");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "docs/codes.md is stale: run `UPDATE_CODES=1 cargo test -p lyceum-domain --test codes`");
}
