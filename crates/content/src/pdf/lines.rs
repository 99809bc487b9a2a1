//! A page's text as lines, each with the size most of it is set in: what pdf-extract draws,
//! character by character, gathered the way its own plain-text output does (a move down starts
//! a line, a gap wider than a tenth of the size is a space).

use std::collections::HashMap;

use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};

use super::MAX_CHARS;
use crate::text::clean_line;

/// A line of text on a page, with the size most of it is set in.
#[derive(Debug, Clone)]
pub(super) struct Line {
    pub text: String,
    pub size: f64,
    /// The baseline, in PDF space (up is larger).
    pub y: f64,
}

/// Bullet characters a list item's line opens with, Symbol and Wingdings ones included (their
/// private-use code points are what PDFs of Office documents carry).
const BULLETS: &[char] =
    &['•', '●', '○', '◦', '▪', '■', '‣', '⁃', '\u{f0b7}', '\u{f0a7}', '\u{f0d8}', '\u{f076}', '\u{f0fc}'];

/// The text after a line's opening bullet, when it has one.
pub(super) fn bullet_item(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let first = line.chars().next()?;
    BULLETS.contains(&first).then(|| line[first.len_utf8()..].trim_start())
}

/// Collects pdf-extract's characters into lines with their sizes.
#[derive(Default)]
pub(super) struct Collector {
    pub lines: Vec<Line>,
    text: String,
    /// Characters per size (in half points) on the current line.
    sizes: HashMap<i64, usize>,
    y: f64,
    last_end: f64,
    started: bool,
    pub chars: usize,
}

impl Collector {
    pub fn flush_line(&mut self) {
        let text = clean_line(&self.text);
        if !text.is_empty() {
            let size = self
                .sizes
                .iter()
                .max_by_key(|&(size, count)| (*count, *size))
                .map(|(&size, _)| size as f64 / 2.0)
                .unwrap_or(0.0);
            self.lines.push(Line { text, size, y: self.y });
        }
        self.reset_line();
    }

    pub fn reset_line(&mut self) {
        self.text.clear();
        self.sizes.clear();
        self.started = false;
    }
}

impl OutputDev for Collector {
    fn begin_page(&mut self, _: u32, _: &MediaBox, _: Option<(f64, f64, f64, f64)>) -> Result<(), OutputError> {
        self.reset_line();
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        self.flush_line();
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _: f64,
        font_size: f64,
        c: &str,
    ) -> Result<(), OutputError> {
        // The size as drawn: the font size scaled by the text matrix (a square of the same area).
        let scale = (trm.m11 * trm.m22 - trm.m12 * trm.m21).abs().sqrt();
        let size = if (font_size * scale).is_finite() { (font_size * scale).abs() } else { 0.0 };
        let (x, y) = (trm.m31, trm.m32);
        if self.started {
            if (y - self.y).abs() > size * 0.5 {
                self.flush_line();
            } else if x > self.last_end + size * 0.1 {
                self.text.push(' ');
            }
        }
        if !self.started {
            self.y = y;
        }
        self.text.push_str(c);
        self.chars += c.len();
        if self.chars > MAX_CHARS {
            return Err(OutputError::FormatError(std::fmt::Error));
        }
        let visible = c.chars().filter(|ch| !ch.is_whitespace()).count();
        if visible > 0 {
            *self.sizes.entry((size * 2.0).round() as i64).or_default() += visible;
        }
        self.started = true;
        self.last_end = x + width * size;
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}
