//! Text as the readers find it, made into titles and Markdown: control characters stripped,
//! whitespace collapsed, and the plain text of Word, PowerPoint and PDF files escaped so that it
//! reads as written (a paragraph that begins `1.` or holds `*` is text, not a list or emphasis).
//!
//! Titles and headings stay raw: the server escapes them when it shows them.

/// A title or heading: control characters gone, whitespace runs (line breaks and tabs too)
/// collapsed to one space, trimmed.
pub(crate) fn clean_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let kept: String = s.chars().filter(|&c| !c.is_control() || c.is_whitespace()).collect();
    for word in kept.split(char::is_whitespace).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Markdown with control characters stripped (tab and line feed stay; CR LF and CR become LF).
pub(crate) fn clean_markdown(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    s.chars().filter(|&c| !c.is_control() || c == '\n' || c == '\t').collect::<String>().trim().to_owned()
}

/// Escapes the characters that would make plain text inline Markdown.
pub(crate) fn escape_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Escapes what would make an (inline-escaped) line a block of its own: a heading, a list item,
/// a setext underline or an indented code block.
pub(crate) fn escape_line_starts(s: &str) -> String {
    s.split('\n').map(|line| escape_line_start(line.trim_start())).collect::<Vec<_>>().join("\n")
}

fn escape_line_start(line: &str) -> String {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let after_digits = line.as_bytes().get(digits).copied();
    if line.starts_with(['#', '-', '+', '=']) {
        format!("\\{line}")
    } else if digits > 0 && matches!(after_digits, Some(b'.' | b')')) {
        format!("{}\\{}", &line[..digits], &line[digits..])
    } else {
        line.to_owned()
    }
}

/// One piece of a paragraph as a reader found it: text with the same formatting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
    /// An `http`, `https` or `mailto` URL the text links to.
    pub link: Option<String>,
}

/// A paragraph built span by span; renders as plain text (for headings) or Markdown.
#[derive(Debug, Clone, Default)]
pub(crate) struct Inline {
    spans: Vec<Span>,
}

impl Inline {
    pub fn push(&mut self, text: &str, bold: bool, italic: bool, link: Option<&str>) {
        if text.is_empty() {
            return;
        }
        if let Some(last) = self.spans.last_mut() {
            if last.bold == bold && last.italic == italic && last.link.as_deref() == link {
                last.text.push_str(text);
                return;
            }
        }
        self.spans.push(Span { text: text.to_owned(), bold, italic, link: link.map(str::to_owned) });
    }

    pub fn is_blank(&self) -> bool {
        self.spans.iter().all(|s| s.text.trim().is_empty())
    }

    /// The text alone, on one line.
    pub fn plain(&self) -> String {
        clean_line(&self.spans.iter().map(|s| s.text.as_str()).collect::<String>())
    }

    /// The text as Markdown: escaped, with `**bold**`, `*italic*` and `[links](url)`; line
    /// breaks the reader found stay line breaks.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        for span in &self.spans {
            let text = clean_spaces(&span.text);
            let body = text.trim();
            if body.is_empty() {
                out.push_str(if text.contains('\n') { "\n" } else { &text });
                continue;
            }
            let lead = &text[..text.len() - text.trim_start().len()];
            let trail = &text[text.trim_end().len()..];
            let marker = match (span.bold, span.italic) {
                (true, true) => "***",
                (true, false) => "**",
                (false, true) => "*",
                (false, false) => "",
            };
            let mut piece =
                format!("{marker}{}{marker}", escape_inline(body).replace('\n', &format!("{marker}\n{marker}")));
            if let Some(url) = &span.link {
                piece = format!("[{piece}](<{}>)", url.replace(['<', '>', '\n'], ""));
            }
            out.push_str(lead);
            out.push_str(&piece);
            out.push_str(trail);
        }
        let lines: Vec<String> = escape_line_starts(&out).split('\n').map(clean_line).collect();
        lines.into_iter().filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n")
    }
}

/// Collapses runs of spaces and tabs (not line breaks) and drops other control characters.
fn clean_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c == '\n' {
            out.push('\n');
            space = false;
        } else if c.is_control() && !c.is_whitespace() {
            continue;
        } else if c.is_whitespace() {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out
}

/// A URL a link may keep: absolute `http`, `https` or `mailto`.
pub(crate) fn safe_url(url: &str) -> Option<&str> {
    let url = url.trim();
    let scheme = url.split_once(':')?.0;
    ["http", "https", "mailto"].iter().any(|s| s.eq_ignore_ascii_case(scheme)).then_some(url)
}

/// A GitHub-flavoured Markdown table; the first row is the header. Cells are Markdown already
/// (escaped, `|` included) and are put on one line each.
pub(crate) fn markdown_table(rows: &[Vec<String>]) -> String {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    if width == 0 {
        return String::new();
    }
    let line = |cells: &[String]| {
        let mut out = String::from("|");
        for i in 0..width {
            let cell = cells.get(i).map(|c| c.replace('\n', " ")).unwrap_or_default();
            out.push(' ');
            out.push_str(cell.trim());
            out.push_str(" |");
        }
        out
    };
    let mut out = vec![line(&rows[0]), format!("|{}", " --- |".repeat(width))];
    out.extend(rows[1..].iter().map(|row| line(row)));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_markdown_are_cleaned() {
        assert_eq!(clean_line("  A\u{7}\tmes\u{1b}sy\n title  "), "A messy title");
        assert_eq!(clean_markdown("a\r\nb\u{0}c\rd\t"), "a\nbc\nd");
    }

    #[test]
    fn plain_text_stays_plain() {
        let mut p = Inline::default();
        p.push("1. Not a list, *not* emphasis, <b>not</b> html", false, false, None);
        assert_eq!(p.markdown(), "1\\. Not a list, \\*not\\* emphasis, \\<b\\>not\\</b\\> html");
        let mut h = Inline::default();
        h.push("# not a heading", false, false, None);
        assert_eq!(h.markdown(), "\\# not a heading");
        assert_eq!(h.plain(), "# not a heading");
    }

    #[test]
    fn formatting_wraps_the_words_not_the_spaces() {
        let mut p = Inline::default();
        p.push("Bring ", false, false, None);
        p.push("your ", true, false, None);
        p.push("badge ", true, false, None);
        p.push("now", false, true, None);
        p.push(" or ", false, false, None);
        p.push("here", false, false, Some("https://example.com/a b"));
        assert_eq!(p.markdown(), "Bring **your badge** *now* or [here](<https://example.com/a b>)");
    }

    #[test]
    fn urls_and_tables() {
        assert_eq!(safe_url(" https://x.example "), Some("https://x.example"));
        assert_eq!(safe_url("javascript:alert(1)"), None);
        assert_eq!(safe_url("relative/path"), None);
        let table = markdown_table(&[vec!["a".into(), "b".into()], vec!["1".into()]]);
        assert_eq!(table, "| a | b |\n| --- | --- |\n| 1 |  |");
    }
}
