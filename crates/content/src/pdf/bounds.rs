//! What pdf-extract must not be handed (see the parent module): streams that unpack past the
//! budget, and content that would send it into recursion without end.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::{dict, MAX_NESTING};
use crate::package::MAX_UNPACKED;
use crate::ImportError;

/// Refuses a PDF whose compressed streams would unpack past [`MAX_UNPACKED`] in all, or that
/// compresses a stream twice over (which no producer needs and a bomb does).
pub(super) fn check_streams(doc: &Document) -> Result<(), ImportError> {
    let mut budget = MAX_UNPACKED;
    for object in doc.objects.values() {
        let Object::Stream(stream) = object else { continue };
        let filters: Vec<&[u8]> = match stream.dict.get(b"Filter") {
            Ok(Object::Name(name)) => vec![name.as_slice()],
            Ok(Object::Array(names)) => names.iter().filter_map(|n| n.as_name().ok()).collect(),
            _ => Vec::new(),
        };
        let flate = filters.iter().filter(|f| **f == b"FlateDecode" || **f == b"Fl").count();
        if flate > 1 {
            return Err(ImportError::Invalid(
                "the PDF file compresses its content twice over and is refused".to_owned(),
            ));
        }
        if flate == 1 {
            let unpacked = inflated_size(&stream.content, budget + 1);
            budget = budget.checked_sub(unpacked).ok_or_else(|| {
                ImportError::Invalid(format!(
                    "the PDF file unpacks to more than {} MB and is refused",
                    MAX_UNPACKED >> 20
                ))
            })?;
        }
    }
    Ok(())
}

/// How many bytes `data` inflates to (zlib, or raw deflate as some producers write), up to `limit`.
fn inflated_size(data: &[u8], limit: u64) -> u64 {
    fn count(reader: impl Read, limit: u64) -> Option<u64> {
        let mut reader = reader.take(limit);
        let mut buffer = [0u8; 16 * 1024];
        let mut total = 0u64;
        loop {
            match reader.read(&mut buffer) {
                Ok(0) => return Some(total),
                Ok(n) => total += n as u64,
                Err(_) => return (total > 0).then_some(total),
            }
        }
    }
    count(flate2::read::ZlibDecoder::new(data), limit)
        .or_else(|| count(flate2::read::DeflateDecoder::new(data), limit))
        .unwrap_or(0)
}

/// Refuses what pdf-extract would recurse into without end (see the module doc): a page whose
/// `Parent` chain loops or runs deeper than [`MAX_NESTING`], and XObjects that draw one another
/// deeper than that. Resources are looked up as pdf-extract does: a form without its own uses
/// those of whatever drew it.
pub(super) fn preflight(doc: &Document, pages: &BTreeMap<u32, ObjectId>) -> Result<(), ImportError> {
    let nested = || ImportError::Invalid("the PDF file nests its content too deeply and is refused".to_owned());
    let mut depths = HashMap::new();
    for &page_id in pages.values() {
        let Ok(page) = doc.get_dictionary(page_id) else { continue };
        let mut resources: Option<&Dictionary> = None;
        let mut node = page;
        let mut seen = HashSet::from([page_id]);
        for level in 0.. {
            if resources.is_none() {
                resources = node.get(b"Resources").ok().and_then(|r| dict(doc, r));
            }
            let Some(parent) = node.get(b"Parent").ok().and_then(|p| p.as_reference().ok()) else { break };
            if level >= MAX_NESTING || !seen.insert(parent) {
                return Err(nested());
            }
            let Ok(parent) = doc.get_dictionary(parent) else { break };
            node = parent;
        }
        let Some(resources) = resources else { continue };
        let content = doc.get_page_content(page_id).unwrap_or_default();
        let mut drawing = Vec::new();
        if draw_depth(doc, &content, resources, &mut drawing, &mut depths).is_none() {
            return Err(nested());
        }
    }
    Ok(())
}

/// How deeply the XObjects that `content` draws nest, or `None` past [`MAX_NESTING`] or in a
/// loop. `drawing` holds the XObjects being drawn; `depths` remembers each one's answer for the
/// resources it was drawn with.
fn draw_depth(
    doc: &Document,
    content: &[u8],
    resources: &Dictionary,
    drawing: &mut Vec<ObjectId>,
    depths: &mut HashMap<(ObjectId, usize), usize>,
) -> Option<usize> {
    if drawing.len() > MAX_NESTING {
        return None;
    }
    let Ok(operations) = lopdf::content::Content::decode(content) else { return Some(0) };
    let xobjects = resources.get(b"XObject").ok().and_then(|x| dict(doc, x));
    let mut deepest = 0;
    for operation in operations.operations.iter().filter(|op| op.operator == "Do") {
        let Some(name) = operation.operands.first().and_then(|n| n.as_name().ok()) else { continue };
        let Some(Ok(id)) = xobjects.and_then(|x| x.get(name).ok()).map(Object::as_reference) else { continue };
        if drawing.contains(&id) {
            return None;
        }
        let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else { continue };
        let own = stream.dict.get(b"Resources").ok().and_then(|r| dict(doc, r));
        let used = own.unwrap_or(resources);
        let key = (id, used as *const Dictionary as usize);
        let depth = match depths.get(&key) {
            Some(&depth) => depth,
            None => {
                let inner = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
                drawing.push(id);
                let depth = draw_depth(doc, &inner, used, drawing, depths)? + 1;
                drawing.pop();
                depths.insert(key, depth);
                depth
            }
        };
        deepest = deepest.max(depth);
    }
    (deepest + drawing.len() <= MAX_NESTING).then_some(deepest)
}
