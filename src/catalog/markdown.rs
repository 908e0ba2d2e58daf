//! Product descriptions are Markdown, written by staff and shown to every shopper. They are
//! rendered by pulldown-cmark with what could carry script or another page's content taken out
//! before HTML is written: raw HTML is shown as text, images as their alt text, and links keep
//! only web, mail and in-shop addresses. Headings start below the page's own (h3), so a
//! description never breaks the page's outline.

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// Whether a link may go there: http(s), mail, or a path in the shop.
fn safe_destination(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:")
        || (lower.starts_with('/') && !lower.starts_with("//"))
}

fn demoted(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 | HeadingLevel::H2 | HeadingLevel::H3 => HeadingLevel::H3,
        HeadingLevel::H4 => HeadingLevel::H4,
        HeadingLevel::H5 => HeadingLevel::H5,
        HeadingLevel::H6 => HeadingLevel::H6,
    }
}

/// The description as safe HTML.
pub fn to_html(markdown: &str) -> String {
    // Links dropped at their start are dropped at their end too; images are dropped whole, their
    // alt text (the events inside) kept as text.
    let mut dropped_links = Vec::new();
    let events = Parser::new_ext(markdown, options()).filter_map(|event| match event {
        Event::Html(html) | Event::InlineHtml(html) => Some(Event::Text(html)),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let keep = safe_destination(&dest_url);
            dropped_links.push(!keep);
            keep.then_some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::End(TagEnd::Link) => match dropped_links.pop() {
            Some(true) => None,
            _ => Some(Event::End(TagEnd::Link)),
        },
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Some(Event::Start(Tag::Heading {
            level: demoted(level),
            id,
            classes,
            attrs,
        })),
        Event::End(TagEnd::Heading(level)) => Some(Event::End(TagEnd::Heading(demoted(level)))),
        other => Some(other),
    });
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

/// The description's words without markup, cut at a word to at most `limit` characters with an
/// ellipsis: for a page's meta description and structured data.
pub fn to_plain(markdown: &str, limit: usize) -> String {
    let mut text = String::new();
    for event in Parser::new_ext(markdown, options()) {
        let piece: CowStr = match event {
            Event::Text(text) | Event::Code(text) => text,
            // Words of separate blocks stay apart; inline ends (emphasis, links) add nothing.
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_),
            ) => " ".into(),
            _ => continue,
        };
        text.push_str(&piece);
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let whole = words.join(" ");
    if whole.chars().count() <= limit {
        return whole;
    }
    let mut cut = String::new();
    for word in words {
        if cut.chars().count() + word.chars().count() + 2 > limit {
            break;
        }
        if !cut.is_empty() {
            cut.push(' ');
        }
        cut.push_str(word);
    }
    let mut cut = cut.trim_end_matches([',', '.', ';', ':']).to_owned();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_html() {
        assert_eq!(
            to_html("# Care\n\nWash **cold**, *dry flat*.\n\n- wool\n- [guide](/p/guide)"),
            "<h3>Care</h3>\n<p>Wash <strong>cold</strong>, <em>dry flat</em>.</p>\n<ul>\n<li>wool</li>\n<li><a href=\"/p/guide\">guide</a></li>\n</ul>\n"
        );
    }

    #[test]
    fn nothing_in_a_description_runs_or_loads() {
        for (hostile, must_not_contain) in [
            ("<script>alert(1)</script>", "<script"),
            ("hi <img src=x onerror=alert(1)>", "<img"),
            ("[click](javascript:alert(1))", "href"),
            ("[click](JaVaScRiPt:alert(1))", "href"),
            ("[x](data:text/html,<script>alert(1)</script>)", "href"),
            ("[x](//evil.example/)", "href"),
            ("![pixel](https://tracker.example/p.gif)", "<img"),
            ("<a href=\"javascript:x\">x</a>", "<a"),
            (
                "[x](https://ok.example/ \"t\\\" onmouseover=\\\"alert(1)\")",
                "onmouseover=\"",
            ),
        ] {
            let html = to_html(hostile);
            assert!(!html.contains(must_not_contain), "{hostile} gave {html}");
        }
        assert!(to_html("<b>bold?</b>").contains("&lt;b&gt;bold?&lt;/b&gt;"));
        assert!(to_html("![a lamp](lamp.png)").contains("a lamp"));
        assert!(
            to_html("[shop](https://example.com/a?b=1&c=2)")
                .contains("href=\"https://example.com/a?b=1&amp;c=2\"")
        );
    }

    #[test]
    fn plain_text_is_cut_at_a_word() {
        assert_eq!(
            to_plain("**Warm** wool.\n\nHand *knitted*.", 100),
            "Warm wool. Hand knitted."
        );
        assert_eq!(to_plain("one two three four", 12), "one two…");
        assert_eq!(to_plain("<b>x</b> [a](javascript:y)", 100), "x a");
    }
}
