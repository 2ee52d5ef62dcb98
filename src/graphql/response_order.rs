//! Puts the keys of every object of an answer in the order of its selection set, as the GraphQL
//! specification requires. async-graphql 7 inserts each field when its future completes (a
//! `FuturesUnordered`), so fields that wait for a DataLoader come last and the order changes from
//! one request to the next: that breaks clients that compare answers, and the response cache's
//! entity tags.

use std::collections::HashMap;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, Value};

type Fragments = HashMap<Name, Positioned<FragmentDefinition>>;

/// Reorders `data`, the answer to the operation `operation` of `document`.
pub fn in_selection_order(
    data: &mut Value,
    document: &ExecutableDocument,
    operation: Option<&str>,
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

type Order<'a> = Vec<(&'a Name, Vec<&'a SelectionSet>)>;

fn reorder(value: &mut Value, sets: &[&SelectionSet], fragments: &Fragments) {
    if !matches!(value, Value::List(_) | Value::Object(_)) {
        return;
    }
    // The keys of every object of a list follow the same selection: worked out once.
    let mut order = Vec::new();
    keys(sets, fragments, &mut order, 0);
    apply(value, &order, fragments);
}

fn apply(value: &mut Value, order: &Order<'_>, fragments: &Fragments) {
    match value {
        Value::List(items) => {
            for item in items {
                apply(item, order, fragments);
            }
        }
        Value::Object(map) => {
            if !in_order(map, order) {
                let mut old = std::mem::take(map);
                map.reserve(old.len());
                for (key, _) in order {
                    if let Some(child) = old.swap_remove(*key) {
                        map.insert((*key).clone(), child);
                    }
                }
                // Anything not named by the selection (nothing, today) keeps its place at the end.
                map.extend(old);
            }
            for (key, subs) in order {
                if subs.iter().any(|s| !s.items.is_empty())
                    && let Some(child) = map.get_mut(*key)
                {
                    reorder(child, subs, fragments);
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
        match order[next..].iter().position(|(k, _)| *k == key) {
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
        in_selection_order(&mut data, &document, None);
        assert_eq!(
            serde_json::to_string(&data).unwrap_or_default(),
            r#"{"b":[{"z":3,"w":2},{"z":4,"w":5}],"a":1}"#
        );
    }
}
