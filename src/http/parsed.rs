//! The GraphQL documents parsed so far, by their text. Front-ends send the same few documents
//! again and again, and parsing one is a few percent of a directory page's CPU (async-graphql's
//! parser is built on pest). A document that does not parse is not kept; each replica keeps at
//! most a few MiB (quick_cache evicts the least used), counting each document's syntax tree as
//! 16 times its text.

use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;
use quick_cache::Weighter;
use quick_cache::sync::Cache;

#[derive(Debug, Clone)]
struct BySize;

impl Weighter<String, Arc<ExecutableDocument>> for BySize {
    fn weight(&self, text: &String, _: &Arc<ExecutableDocument>) -> u64 {
        (text.len() as u64).saturating_mul(16).saturating_add(256)
    }
}

/// The parsed documents, by text.
#[derive(Clone)]
pub struct ParsedDocuments {
    documents: Arc<Cache<String, Arc<ExecutableDocument>, BySize>>,
}

impl ParsedDocuments {
    /// A store of documents weighing at most `bytes` (see the module's comment).
    pub fn new(bytes: u64) -> Self {
        Self {
            documents: Arc::new(Cache::with_weighter(
                (bytes / 16_384).clamp(16, 10_000) as usize,
                bytes.max(1),
                BySize,
            )),
        }
    }

    /// The document `text` parses to, parsed now or earlier.
    pub fn parse(
        &self,
        text: &str,
    ) -> Result<Arc<ExecutableDocument>, async_graphql::parser::Error> {
        if let Some(document) = self.documents.get(text) {
            return Ok(document);
        }
        let document = Arc::new(async_graphql::parser::parse_query(text)?);
        self.documents.insert(text.to_owned(), document.clone());
        Ok(document)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_parsed_once_and_an_unparsable_one_never_kept() {
        let parsed = ParsedDocuments::new(1024 * 1024);
        let first = parsed.parse("{ organizations { nodes { slug } } }");
        let again = parsed.parse("{ organizations { nodes { slug } } }");
        match (first, again) {
            (Ok(first), Ok(again)) => assert!(Arc::ptr_eq(&first, &again)),
            _ => panic!("the document parses"),
        }
        assert!(parsed.parse("{ organizations { ").is_err());
        assert!(parsed.parse("{ organizations { ").is_err());
        assert_eq!(parsed.documents.len(), 1);
    }
}
