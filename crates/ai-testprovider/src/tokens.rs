//! Token counts as OpenAI reports them for its cl100k chat models, independently of the
//! client's own counting.

use tiktoken_rs::CoreBPE;

fn bpe() -> &'static CoreBPE {
    tiktoken_rs::cl100k_base_singleton()
}

pub(crate) fn count(text: &str) -> u64 {
    bpe().encode_ordinary(text).len() as u64
}

/// `prompt_tokens` of a `messages` array: per message 3 tokens of framing plus its role and
/// content, and 3 for priming the reply.
pub(crate) fn prompt(messages: &[serde_json::Value]) -> u64 {
    let per_message: u64 =
        messages.iter().map(|m| 3 + count(m["role"].as_str().unwrap_or("")) + count(&content(m))).sum();
    per_message + 3
}

/// A message's content: a string, or the texts of an array of parts.
pub(crate) fn content(message: &serde_json::Value) -> String {
    match &message["content"] {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Array(parts) => parts.iter().filter_map(|p| p["text"].as_str()).collect(),
        _ => String::new(),
    }
}

/// The completion as the model would produce it under `max_tokens`: its pieces as they would
/// be streamed (tokens grouped so that each piece is whole UTF-8), and whether it was cut.
pub(crate) fn generate(text: &str, max_tokens: u64) -> (Vec<String>, bool) {
    let mut tokens = bpe().encode_ordinary(text);
    let cut = tokens.len() as u64 > max_tokens;
    tokens.truncate(usize::try_from(max_tokens).unwrap_or(usize::MAX));
    let mut pieces = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    for token in tokens {
        pending.extend(bpe().decode_bytes(&[token]).unwrap_or_default());
        if let Ok(piece) = std::str::from_utf8(&pending) {
            pieces.push(piece.to_owned());
            pending.clear();
        }
    }
    // Bytes of a character that `max_tokens` cut in two are not sent.
    (pieces, cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_truncates_to_whole_tokens() {
        let (pieces, cut) = generate("Echo: the quick brown fox", 3);
        assert!(cut);
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces.concat(), "Echo: the");
        let (pieces, cut) = generate("héllo wörld 🦀", 100);
        assert!(!cut);
        assert_eq!(pieces.concat(), "héllo wörld 🦀");
    }
}
