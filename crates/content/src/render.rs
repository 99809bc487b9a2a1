//! Markdown to HTML that is safe to put in a page: slides are written by trainers and imported
//! from files anyone can make, so the HTML pulldown-cmark renders is sanitised by ammonia before
//! it leaves this module.
//!
//! Ammonia's defaults (no scripts, no event handlers, no `style`, no frames or forms) plus: links
//! get `rel="noopener noreferrer"`, and URLs are `http`, `https`, `mailto` or relative (images of
//! the media library are `/media/…`). Task-list boxes are drawn as characters rather than
//! `<input>` elements, which the sanitiser does not let through.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser};

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(Some("noopener noreferrer"))
        // Not allowed by default either; said here so that no later change lets it in.
        .rm_generic_attributes(&["style"]);
    builder
});

/// Renders `md` (CommonMark with tables, strikethrough and task lists) to sanitised HTML.
pub fn render_markdown(md: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(md, options).map(|event| match event {
        Event::TaskListMarker(true) => Event::Text("☑ ".into()),
        Event::TaskListMarker(false) => Event::Text("☐ ".into()),
        other => other,
    });
    let mut html = String::with_capacity(md.len() + md.len() / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    SANITIZER.clean(&html).to_string()
}

#[cfg(test)]
mod tests {
    use super::render_markdown;

    #[test]
    fn keeps_structure() {
        let html = render_markdown(
            "# Title\n\n## Sub\n\n- one\n- two\n\n1. first\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n\
             ```rust\nlet x = 1 < 2;\n```\n\n**bold** *it* ~~gone~~ `code`\n",
        );
        for part in [
            "<h1>Title</h1>",
            "<h2>Sub</h2>",
            "<li>one</li>",
            "<ol>",
            "<table>",
            "<th>a</th>",
            "<td>2</td>",
            "<pre><code>let x = 1 &lt; 2;",
            "<strong>bold</strong>",
            "<em>it</em>",
            "<del>gone</del>",
            "<code>code</code>",
        ] {
            assert!(html.contains(part), "{part} missing from {html}");
        }
    }

    #[test]
    fn removes_scripts_handlers_frames_and_styles() {
        let html = render_markdown(
            "<script>alert(1)</script>\n\n<img src=\"x.png\" onerror=\"alert(2)\">\n\n\
             <iframe src=\"https://evil.example\"></iframe>\n\n<p style=\"color:red\">styled</p>\n\n\
             <style>body{display:none}</style>\n",
        );
        for banned in
            ["<script", "alert(1)", "onerror", "alert(2)", "<iframe", "evil.example", "style=", "<style", "display"]
        {
            assert!(!html.contains(banned), "{banned} left in {html}");
        }
        assert!(html.contains("styled"));
        assert!(html.contains("<img src=\"x.png\">"), "{html}");
    }

    #[test]
    fn only_safe_links_survive() {
        let html = render_markdown(
            "[js](javascript:alert(1)) [data](data:text/html,hi) [web](https://example.com) \
             [mail](mailto:a@example.com) [page](/courses/1)\n\n![pic](/media/abc.png)\n\n<a href=\"vbscript:x\">vb</a>",
        );
        assert!(!html.contains("javascript"), "{html}");
        assert!(!html.contains("data:"), "{html}");
        assert!(!html.contains("vbscript"), "{html}");
        assert!(html.contains("<a href=\"https://example.com\" rel=\"noopener noreferrer\">web</a>"), "{html}");
        assert!(html.contains("href=\"mailto:a@example.com\""), "{html}");
        assert!(html.contains("href=\"/courses/1\""), "{html}");
        assert!(html.contains("<img src=\"/media/abc.png\" alt=\"pic\">"), "{html}");
    }

    #[test]
    fn task_lists_without_inputs() {
        let html = render_markdown("- [x] done\n- [ ] to do\n");
        assert!(!html.contains("<input"), "{html}");
        assert!(html.contains("☑ done") && html.contains("☐ to do"), "{html}");
    }
}
