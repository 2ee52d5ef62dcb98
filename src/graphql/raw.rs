//! Answers written as JSON text instead of a tree of values.
//!
//! A built answer ([`crate::graphql::subtree`]) is written level by level, field by field for all
//! objects of a level at once: [`Frags`] holds one JSON text per object (or per list) of a level
//! in one buffer, and objects are joined from their fields' texts. A directory page is then a
//! few dozen buffers instead of thousands of maps, strings and values, and it is not serialized
//! again: the root field hands the executor a placeholder ([`Splices::hold`]), which the HTTP
//! face replaces with the text in the serialized response ([`Splices::apply`]).

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use async_graphql::Value;

/// JSON texts, each of one value, in one buffer.
#[derive(Default)]
pub struct Frags {
    buf: String,
    ends: Vec<usize>,
}

impl Frags {
    /// Room for `n` texts.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            buf: String::with_capacity(n * 16),
            ends: Vec::with_capacity(n),
        }
    }

    /// How many texts.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Text `i`.
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.buf[start..self.ends[i]]
    }

    /// Adds `value` as a text.
    pub fn push_value(&mut self, value: &Value) {
        write_value(&mut self.buf, value);
        self.end();
    }

    /// Adds JSON text that is already one value.
    pub fn push_raw(&mut self, text: &str) {
        self.buf.push_str(text);
        self.end();
    }

    /// Adds `text` as a JSON string.
    pub fn push_str(&mut self, text: &str) {
        write_str(&mut self.buf, text);
        self.end();
    }

    /// Ends the text written since the last one.
    fn end(&mut self) {
        self.ends.push(self.buf.len());
    }

    /// The text, when there is exactly one.
    pub fn into_single(mut self) -> Option<String> {
        (self.len() == 1).then(|| {
            self.buf.truncate(self.ends[0]);
            self.buf
        })
    }
}

/// Objects from their fields' texts: `columns[f]` holds field `f` of every object, and
/// `keys[f]` is its response key. Each object's keys are in the order of `keys`.
pub fn objects(keys: &[&str], columns: &[Frags], n: usize) -> Frags {
    let prefixes: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(f, key)| {
            let mut prefix = String::with_capacity(key.len() + 4);
            prefix.push(if f == 0 { '{' } else { ',' });
            write_str(&mut prefix, key);
            prefix.push(':');
            prefix
        })
        .collect();
    let size: usize = columns.iter().map(|c| c.buf.len()).sum::<usize>()
        + n * (prefixes.iter().map(String::len).sum::<usize>() + 2);
    let mut out = Frags {
        buf: String::with_capacity(size),
        ends: Vec::with_capacity(n),
    };
    for i in 0..n {
        if keys.is_empty() {
            out.buf.push('{');
        }
        for (prefix, column) in prefixes.iter().zip(columns) {
            out.buf.push_str(prefix);
            out.buf.push_str(column.get(i));
        }
        out.buf.push('}');
        out.end();
    }
    out
}

/// Lists of `items`, in order: list `l` holds the next `sizes[l]` items.
pub fn lists(items: &Frags, sizes: impl Iterator<Item = usize>) -> Frags {
    let mut out = Frags {
        buf: String::with_capacity(items.buf.len() + items.len() + 2),
        ends: Vec::new(),
    };
    let mut next = 0;
    for size in sizes {
        out.buf.push('[');
        for i in next..(next + size).min(items.len()) {
            if i > next {
                out.buf.push(',');
            }
            out.buf.push_str(items.get(i));
        }
        next += size;
        out.buf.push(']');
        out.end();
    }
    out
}

/// Writes `value` as JSON (enums as their names, as the executor writes them).
fn write_value(buf: &mut String, value: &Value) {
    match value {
        Value::Null => buf.push_str("null"),
        Value::Boolean(b) => buf.push_str(if *b { "true" } else { "false" }),
        // Integers as they print; floats as serde_json writes them (shortest round trip).
        Value::Number(n) if n.is_f64() => {
            buf.push_str(&serde_json::to_string(n).unwrap_or_else(|_| "null".into()))
        }
        Value::Number(n) => {
            let _ = write!(buf, "{n}");
        }
        Value::String(s) => write_str(buf, s),
        Value::Enum(name) => write_str(buf, name),
        Value::List(items) => {
            buf.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    buf.push(',');
                }
                write_value(buf, item);
            }
            buf.push(']');
        }
        Value::Object(map) => {
            buf.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    buf.push(',');
                }
                write_str(buf, key);
                buf.push(':');
                write_value(buf, item);
            }
            buf.push('}');
        }
        // Not a value the subtree writes; as serde writes it, should it ever be.
        Value::Binary(_) => {
            buf.push_str(&serde_json::to_string(value).unwrap_or_else(|_| "null".into()))
        }
    }
}

/// Writes `text` as a JSON string (escaped as serde_json escapes).
fn write_str(buf: &mut String, text: &str) {
    buf.reserve(text.len() + 2);
    buf.push('"');
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !ESCAPED[b as usize] {
            continue;
        }
        buf.push_str(&text[start..i]);
        match b {
            b'"' => buf.push_str("\\\""),
            b'\\' => buf.push_str("\\\\"),
            b'\n' => buf.push_str("\\n"),
            b'\r' => buf.push_str("\\r"),
            b'\t' => buf.push_str("\\t"),
            0x08 => buf.push_str("\\b"),
            0x0c => buf.push_str("\\f"),
            _ => {
                let _ = write!(buf, "\\u{b:04x}");
            }
        }
        start = i + 1;
    }
    buf.push_str(&text[start..]);
    buf.push('"');
}

/// The bytes a JSON string escapes: control characters, `"` and `\`.
const ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// The built answers of one request, held apart from the executor's values until the response
/// is serialized.
#[derive(Clone)]
pub struct Splices {
    /// Marks a placeholder: a NUL (which serializes as `\u0000`) and a random tag, so that no
    /// stored text can pass for one.
    tag: Arc<str>,
    texts: Arc<Mutex<Vec<String>>>,
}

impl Default for Splices {
    fn default() -> Self {
        let mut random = [0u8; 12];
        let _ = getrandom::fill(&mut random);
        let tag: String = random.iter().map(|b| format!("{b:02x}")).collect();
        Self {
            tag: format!("\u{0}{tag}:").into(),
            texts: Arc::default(),
        }
    }
}

impl Splices {
    /// A placeholder for `text`, the JSON of one value.
    pub fn hold(&self, text: String) -> Value {
        let mut texts = self.texts.lock().unwrap_or_else(|e| e.into_inner());
        texts.push(text);
        Value::String(format!("{}{}", self.tag, texts.len() - 1))
    }

    /// `json` (a serialized response) with each placeholder replaced by its text.
    pub fn apply(&self, json: String) -> String {
        let texts = self.texts.lock().unwrap_or_else(|e| e.into_inner());
        if texts.is_empty() {
            return json;
        }
        // As serde_json writes the placeholder: `"\u0000<tag>:<n>"`.
        let marker = format!("\"\\u0000{}", &self.tag[1..]);
        let extra: usize = texts.iter().map(String::len).sum();
        let mut out = String::with_capacity(json.len() + extra);
        let mut rest = json.as_str();
        while let Some(at) = rest.find(&marker) {
            out.push_str(&rest[..at]);
            let after = &rest[at + marker.len()..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            match (
                after[..digits].parse::<usize>(),
                after[digits..].starts_with('"'),
            ) {
                (Ok(n), true) if n < texts.len() => {
                    out.push_str(&texts[n]);
                    rest = &after[digits + 1..];
                }
                _ => {
                    out.push_str(&marker);
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_json_as_serde_does() -> Result<(), serde_json::Error> {
        let value = Value::from_json(serde_json::json!({
            "a": "quote \" back \\ new\nline \u{1} tab\t é ✓",
            "b": [1, -2, 2.5, 1e300, 0.1, -0.0, true, null, 18446744073709551615u64],
            "c": {}
        }))?;
        let mut buf = String::new();
        write_value(&mut buf, &value);
        assert_eq!(buf, serde_json::to_string(&value)?);
        Ok(())
    }

    #[test]
    fn joins_objects_and_lists() {
        let mut names = Frags::default();
        names.push_str("a");
        names.push_str("b");
        let mut ids = Frags::default();
        ids.push_raw("1");
        ids.push_raw("2");
        let objects = objects(&["name", "id"], &[names, ids], 2);
        assert_eq!(objects.get(0), r#"{"name":"a","id":1}"#);
        let lists = lists(&objects, [0, 2].into_iter());
        assert_eq!(lists.get(0), "[]");
        assert_eq!(lists.get(1), r#"[{"name":"a","id":1},{"name":"b","id":2}]"#);
        assert_eq!(super::objects(&[], &[], 1).get(0), "{}");
    }

    #[test]
    fn splices_answers_into_the_response() -> Result<(), serde_json::Error> {
        let splices = Splices::default();
        let held = splices.hold(r#"{"x":[1]}"#.to_owned());
        let other = Value::String("\u{0}not ours:0".into());
        let data = Value::List(vec![held, other]);
        let json = serde_json::to_string(&data)?;
        assert_eq!(
            splices.apply(json),
            r#"[{"x":[1]},"\u0000not ours:0"]"#.to_owned()
        );
        Ok(())
    }
}
