//! The document outline (bookmarks) and title: which pages the top-level entries go to, through
//! explicit and named destinations, within bounds.

use std::collections::{HashMap, HashSet};

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::{dict, MAX_NESTING};
use crate::text::clean_line;

/// The top-level entries of the document outline: title and page number, in outline order.
pub(super) fn top_level_outline(doc: &Document, page_of: &HashMap<ObjectId, u32>) -> Vec<(String, u32)> {
    let Some(outlines) = doc.catalog().ok().and_then(|c| c.get(b"Outlines").ok()).and_then(|o| dict(doc, o)) else {
        return Vec::new();
    };
    let mut entries = Vec::new();
    let mut seen = HashSet::new();
    let mut item = outlines.get(b"First").ok().and_then(|o| o.as_reference().ok());
    while let Some(id) = item {
        if !seen.insert(id) || seen.len() > crate::package::MAX_ENTRIES {
            break;
        }
        let Ok(entry) = doc.get_dictionary(id) else { break };
        let title = entry.get(b"Title").ok().and_then(|t| doc.dereference(t).ok()).and_then(|(_, t)| t.as_str().ok());
        let title = title.map(text_string).map(|t| clean_line(&t)).filter(|t| !t.is_empty());
        if let (Some(title), Some(page)) = (title, destination_page(doc, entry, page_of)) {
            entries.push((title, page));
        }
        item = entry.get(b"Next").ok().and_then(|o| o.as_reference().ok());
    }
    entries
}

/// The page an outline entry goes to: its `Dest`, or its `GoTo` action's `D`; an explicit
/// destination (an array whose first element is the page) or a named one.
fn destination_page(doc: &Document, entry: &Dictionary, page_of: &HashMap<ObjectId, u32>) -> Option<u32> {
    let dest = match entry.get(b"Dest") {
        Ok(dest) => dest,
        Err(_) => dict(doc, entry.get(b"A").ok()?)?.get(b"D").ok()?,
    };
    let dest = resolve_destination(doc, dest, 0)?;
    page_of.get(&dest.first()?.as_reference().ok()?).copied()
}

fn resolve_destination<'a>(doc: &'a Document, dest: &'a Object, hops: usize) -> Option<&'a Vec<Object>> {
    if hops > 4 {
        return None;
    }
    match doc.dereference(dest).ok()?.1 {
        Object::Array(array) => Some(array),
        Object::Dictionary(d) => resolve_destination(doc, d.get(b"D").ok()?, hops + 1),
        Object::Name(name) | Object::String(name, _) => {
            let catalog = doc.catalog().ok()?;
            let target =
                catalog.get(b"Dests").ok().and_then(|d| dict(doc, d)).and_then(|d| d.get(name).ok()).or_else(|| {
                    let names = dict(doc, catalog.get(b"Names").ok()?)?;
                    name_tree_lookup(doc, dict(doc, names.get(b"Dests").ok()?)?, name, 0)
                })?;
            resolve_destination(doc, target, hops + 1)
        }
        _ => None,
    }
}

/// Looks `key` up in a name tree (`Names` pairs in leaves, `Kids` above them).
fn name_tree_lookup<'a>(doc: &'a Document, node: &'a Dictionary, key: &[u8], depth: usize) -> Option<&'a Object> {
    if depth > MAX_NESTING {
        return None;
    }
    if let Some(names) =
        node.get(b"Names").ok().and_then(|n| doc.dereference(n).ok()).and_then(|(_, n)| n.as_array().ok())
    {
        for pair in names.chunks(2) {
            if let [name, value] = pair {
                if name.as_str().ok() == Some(key) {
                    return Some(value);
                }
            }
        }
    }
    let kids = node.get(b"Kids").ok().and_then(|k| doc.dereference(k).ok()).and_then(|(_, k)| k.as_array().ok())?;
    kids.iter().take(crate::package::MAX_ENTRIES).find_map(|kid| name_tree_lookup(doc, dict(doc, kid)?, key, depth + 1))
}

/// The document information dictionary's `Title`.
pub(super) fn info_title(doc: &Document) -> Option<String> {
    let info = dict(doc, doc.trailer.get(b"Info").ok()?)?;
    let title = doc.dereference(info.get(b"Title").ok()?).ok()?.1.as_str().ok()?;
    let title = clean_line(&text_string(title));
    (!title.is_empty()).then_some(title)
}

/// A PDF text string: UTF-16BE with a byte order mark, UTF-8 with one (PDF 2.0), else
/// PDFDocEncoding (read as Latin-1, which it matches for text).
fn text_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xfe\xff") {
        let units: Vec<u16> = rest.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
        String::from_utf16_lossy(&units)
    } else if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        bytes.iter().map(|&b| char::from(b)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_strings() {
        assert_eq!(text_string(b"\xfe\xff\0H\0i"), "Hi");
        assert_eq!(text_string(b"caf\xe9"), "café");
    }
}
