//! Answers to introspection-only requests (what GraphiQL and code generators send). The schema
//! never changes while the server runs, so each distinct request (document, operation name,
//! variables) is computed once and then served from memory; every request is still charged its
//! cost from the caller's budget, and an answer is bounded in size.

use std::sync::Arc;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use sha2::{Digest, Sha256};

/// The largest introspection answer served; the standard introspection query's answer is about
/// a tenth of it.
pub const MAX_ANSWER_BYTES: usize = 1 << 20;

/// An answer's `data`, serialized, and the cost charged for it.
pub struct Answer {
    /// The JSON of `data`.
    pub data: String,
    /// The request's cost.
    pub cost: usize,
}

#[derive(Debug, Clone)]
struct BySize;

impl Weighter<[u8; 32], Arc<Answer>> for BySize {
    fn weight(&self, _key: &[u8; 32], answer: &Arc<Answer>) -> u64 {
        (answer.data.len() + 128) as u64
    }
}

/// The introspection answers computed so far, by request.
#[derive(Clone)]
pub struct IntrospectionAnswers {
    answers: Arc<Cache<[u8; 32], Arc<Answer>, BySize>>,
}

impl Default for IntrospectionAnswers {
    fn default() -> Self {
        // A handful of distinct introspection requests (GraphiQL's, a code generator's, ...).
        Self {
            answers: Arc::new(Cache::with_weighter(
                64,
                8 * MAX_ANSWER_BYTES as u64,
                BySize,
            )),
        }
    }
}

/// The key of a request: its document, operation name and variables.
pub fn key(query: &str, operation: Option<&str>, variables: &str) -> [u8; 32] {
    let mut hash = Sha256::new();
    for part in [query, operation.unwrap_or(""), variables] {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize().into()
}

impl IntrospectionAnswers {
    /// The answer computed before for this key.
    pub fn get(&self, key: &[u8; 32]) -> Option<Arc<Answer>> {
        self.answers.get(key)
    }

    /// Keeps an answer.
    pub fn insert(&self, key: [u8; 32], answer: Answer) {
        self.answers.insert(key, Arc::new(answer));
    }
}

/// The most introspection lists one path of an answer may run through: the standard query's
/// `types → fields → args`. Deeper (`types → fields → type → fields → …`) multiplies the answer
/// by the schema's size at every step, which no field-by-field cost shows.
pub const MAX_FAN_OUT: usize = 3;

/// The introspection fields whose answer is a list of schema parts.
const LISTS: [&str; 8] = [
    "types",
    "fields",
    "inputFields",
    "args",
    "interfaces",
    "possibleTypes",
    "enumValues",
    "directives",
];

/// The most introspection lists nested along one path of `document`'s selections (fragments
/// followed; cycles are refused by validation, and a bound guards against surprises).
pub fn fan_out(document: &ExecutableDocument) -> usize {
    fn walk(set: &SelectionSet, document: &ExecutableDocument, depth: usize) -> usize {
        if depth > 64 {
            return usize::MAX;
        }
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => {
                    let own = usize::from(LISTS.contains(&field.node.name.node.as_str()));
                    own.saturating_add(walk(&field.node.selection_set.node, document, depth + 1))
                }
                Selection::InlineFragment(fragment) => {
                    walk(&fragment.node.selection_set.node, document, depth + 1)
                }
                Selection::FragmentSpread(spread) => document
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .map_or(0, |f| walk(&f.node.selection_set.node, document, depth + 1)),
            })
            .max()
            .unwrap_or(0)
    }
    document
        .operations
        .iter()
        .map(|(_, op)| walk(&op.node.selection_set.node, document, 0))
        .max()
        .unwrap_or(0)
}
