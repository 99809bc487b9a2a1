//! Local token counts with `cl100k_base`, for providers that report no usage.
//!
//! The tokenizer's tables are embedded in `tiktoken-rs` (no download) and take a noticeable
//! moment to build, so it is a lazily initialised static (`cl100k_base_singleton`).

use crate::Message;

/// Tokens per message for the framing around it (`<|im_start|>role … <|im_end|>`), as OpenAI
/// documents for its cl100k chat models.
const PER_MESSAGE: u64 = 3;
/// Tokens that prime the assistant's reply.
const REPLY_PRIMING: u64 = 3;

/// The number of `cl100k_base` tokens in `text`, special-token look-alikes counted as text.
pub fn count_tokens(text: &str) -> u64 {
    let bpe = tiktoken_rs::cl100k_base_singleton();
    bpe.encode_ordinary(text).len() as u64
}

/// The prompt tokens of a chat request as OpenAI counts them: each message's role and content
/// plus 3 tokens of framing, and 3 for the reply's priming.
pub fn count_prompt_tokens(messages: &[Message]) -> u64 {
    let framed: u64 =
        messages.iter().map(|m| PER_MESSAGE + count_tokens(m.role.as_str()) + count_tokens(&m.content)).sum();
    framed + REPLY_PRIMING
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

    #[test]
    fn counts_known_strings() {
        assert_eq!(count_tokens(""), 0);
        assert_eq!(count_tokens("hello world"), 2);
        assert_eq!(count_tokens("<|endoftext|>"), 7, "special tokens count as plain text");
    }

    #[test]
    fn prompt_counts_add_the_framing() {
        let messages = [Message::new(Role::System, "You are terse."), Message::new(Role::User, "hello world")];
        let expected = 3 + (3 + 1 + count_tokens("You are terse.")) + (3 + 1 + 2);
        assert_eq!(count_prompt_tokens(&messages), expected);
    }
}
