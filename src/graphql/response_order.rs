//! Puts the keys of every object of an answer in the order of its selection set, as the GraphQL
//! specification requires. async-graphql 7 inserts each field when its future completes (a
//! `FuturesUnordered`), so fields that wait for a DataLoader come last and the order changes from
//! one request to the next: that breaks clients that compare answers, and the response cache's
//! entity tags.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, Value};

type Fragments = HashMap<Name, Positioned<FragmentDefinition>>;

/// How many root fields of a request were answered whole, already in selection order at every
/// level below them (`subtree`'s built answers). When that is every root field, only the root's
/// own keys need ordering: the executor still adds the root fields as they complete.
#[derive(Clone, Default)]
pub struct BuiltRoots(Arc<AtomicUsize>);

impl BuiltRoots {
    /// Records a root field answered whole.
    pub fn add(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// Reorders `data`, the answer to the operation `operation` of `document`, whose root fields
/// `built` were answered in selection order.
pub fn in_selection_order(
    data: &mut Value,
    document: &ExecutableDocument,
    operation: Option<&str>,
    built: &BuiltRoots,
) {
    let selection = match (&document.operations, operation) {
        (DocumentOperations::Single(op), _) => &op.node.selection_set.node,
        (DocumentOperations::Multiple(ops), Some(name)) => match ops.get(name) {
            Some(op) => &op.node.selection_set.node,
            None => return,
        },
        (DocumentOperations::Multiple(ops), None) => match ops.values().next() {
            Some(op) if ops.len() == 1 => &op.node.selection_set.node,
            _ => return,
        },
    };
    let mut roots = 0;
    for item in &selection.items {
        match &item.node {
            Selection::Field(field) if field.node.name.node != "__typename" => roots += 1,
            Selection::Field(_) => {}
            Selection::FragmentSpread(_) | Selection::InlineFragment(_) => roots = usize::MAX,
        }
    }
    if roots > 0 && roots == built.get() {
        let mut keys_in_order = Vec::new();
        keys(&[selection], &document.fragments, &mut keys_in_order, 0);
        let order = Order {
            keys: keys_in_order
                .into_iter()
                .map(|(key, _)| (key, None))
                .collect(),
        };
        apply(data, &order);
        return;
    }
    reorder(data, &[selection], &document.fragments);
}

/// The response keys of `sets` in order of first appearance, each with the selection sets
/// that apply below it (a key selected twice merges its sub-selections).
fn keys<'a>(
    sets: &[&'a SelectionSet],
    fragments: &'a Fragments,
    out: &mut Vec<(&'a Name, Vec<&'a SelectionSet>)>,
    depth: usize,
) {
    // Fragment cycles are refused by validation; the bound only guards against surprises.
    if depth > 64 {
        return;
    }
    for set in sets {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let key = &field.node.response_key().node;
                    let sub = &field.node.selection_set.node;
                    match out.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, subs)) => subs.push(sub),
                        None => out.push((key, vec![sub])),
                    }
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = fragments.get(&spread.node.fragment_name.node) {
                        keys(
                            &[&fragment.node.selection_set.node],
                            fragments,
                            out,
                            depth + 1,
                        );
                    }
                }
                Selection::InlineFragment(inline) => {
                    keys(
                        &[&inline.node.selection_set.node],
                        fragments,
                        out,
                        depth + 1,
                    );
                }
            }
        }
    }
}

/// The order of an object's keys, and the order below each key that has a selection of its own:
/// worked out once per answer from the selection, and applied to every object it selects (the
/// fifty organizations of a directory page share one).
struct Order<'a> {
    keys: Vec<(&'a Name, Option<Order<'a>>)>,
}

impl<'a> Order<'a> {
    fn of(sets: &[&'a SelectionSet], fragments: &'a Fragments, depth: usize) -> Self {
        let mut merged = Vec::new();
        keys(sets, fragments, &mut merged, 0);
        let keys = merged
            .into_iter()
            .map(|(key, subs)| {
                // Selections are bounded by the depth limit; the bound only guards against
                // surprises.
                let below = (depth < 64 && subs.iter().any(|s| !s.items.is_empty()))
                    .then(|| Order::of(&subs, fragments, depth + 1));
                (key, below)
            })
            .collect();
        Order { keys }
    }
}

fn reorder(value: &mut Value, sets: &[&SelectionSet], fragments: &Fragments) {
    if !matches!(value, Value::List(_) | Value::Object(_)) {
        return;
    }
    apply(value, &Order::of(sets, fragments, 0));
}

fn apply(value: &mut Value, order: &Order<'_>) {
    match value {
        Value::List(items) => {
            for item in items {
                apply(item, order);
            }
        }
        Value::Object(map) => {
            if !in_order(map, order) {
                let mut old = std::mem::take(map);
                map.reserve(old.len());
                for (key, _) in &order.keys {
                    if let Some(child) = old.swap_remove(*key) {
                        map.insert((*key).clone(), child);
                    }
                }
                // Anything not named by the selection (nothing, today) keeps its place at the end.
                map.extend(old);
            }
            for (key, below) in &order.keys {
                if let (Some(below), Some(child)) = (below, map.get_mut(*key)) {
                    apply(child, below);
                }
            }
        }
        _ => {}
    }
}

/// Whether the keys of `map` already come in the order of `order` (often so: fields that need
/// no DataLoader complete in order).
fn in_order(map: &async_graphql::indexmap::IndexMap<Name, Value>, order: &Order<'_>) -> bool {
    let mut next = 0;
    for key in map.keys() {
        match order.keys[next..].iter().position(|(k, _)| *k == key) {
            Some(at) => next += at + 1,
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_selection_set() {
        let document = async_graphql::parser::parse_query(
            "query { b: x { z ...F } a: y } fragment F on T { w z }",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut data = Value::from_json(serde_json::json!({
            "a": 1,
            "b": [{ "w": 2, "z": 3 }, { "z": 4, "w": 5 }]
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        in_selection_order(&mut data, &document, None, &BuiltRoots::default());
        assert_eq!(
            serde_json::to_string(&data).unwrap_or_default(),
            r#"{"b":[{"z":3,"w":2},{"z":4,"w":5}],"a":1}"#
        );
    }

    #[test]
    fn answers_built_in_order_keep_theirs_and_only_the_root_is_ordered() {
        let document = async_graphql::parser::parse_query("{ b: x { n m } a: y { n m } }")
            .unwrap_or_else(|e| panic!("{e}"));
        let data = || {
            Value::from_json(
                serde_json::json!({ "a": { "m": 1, "n": 2 }, "b": { "m": 3, "n": 4 } }),
            )
            .unwrap_or_else(|e| panic!("{e}"))
        };
        let built = BuiltRoots::default();
        built.add();
        // One of two roots built: everything is ordered.
        let mut one = data();
        in_selection_order(&mut one, &document, None, &built);
        assert_eq!(
            serde_json::to_string(&one).unwrap_or_default(),
            r#"{"b":{"n":4,"m":3},"a":{"n":2,"m":1}}"#
        );
        // Both built: their own keys are trusted, the root's are ordered.
        built.add();
        let mut both = data();
        in_selection_order(&mut both, &document, None, &built);
        assert_eq!(
            serde_json::to_string(&both).unwrap_or_default(),
            r#"{"b":{"m":3,"n":4},"a":{"m":1,"n":2}}"#
        );
    }

    #[test]
    fn nested_lists_follow_their_own_selection() {
        let document = async_graphql::parser::parse_query("{ x { n y { b a } } }")
            .unwrap_or_else(|e| panic!("{e}"));
        let mut data = Value::from_json(serde_json::json!({
            "x": [
                { "y": [{ "a": 1, "b": 2 }, { "b": 3, "a": 4 }], "n": 0 },
                { "n": 5, "y": null }
            ]
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        in_selection_order(&mut data, &document, None, &BuiltRoots::default());
        assert_eq!(
            serde_json::to_string(&data).unwrap_or_default(),
            r#"{"x":[{"n":0,"y":[{"b":2,"a":1},{"b":3,"a":4}]},{"n":5,"y":null}]}"#
        );
    }
}
