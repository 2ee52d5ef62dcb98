//! The checks of a write's input: each problem found is a [`Problem`] on the input field at
//! fault, and a write with problems changes nothing. The faces report problems their own way
//! (GraphQL as `userErrors`).

use crate::text::is_slug;

/// What is wrong with an input field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemCode {
    /// The field is required.
    Required,
    /// The value is too long.
    TooLong,
    /// The value is not of the right form (URL, e-mail address, slug, date).
    Invalid,
    /// The value must be unique and is taken.
    Taken,
    /// A referenced object does not exist.
    NotFound,
}

/// A problem with the input of a write; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The input field at fault (camelCase, as clients name it), e.g. `website`.
    pub field: String,
    /// What is wrong, for people.
    pub message: String,
    /// What is wrong, for programs.
    pub code: ProblemCode,
}

/// The result of a write: the written row, or the problems that stopped it.
pub type Outcome<T> = Result<T, Vec<Problem>>;

/// A change to an optional field: absent leaves it as it is, `Clear` empties it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    /// Not given: the field stays as it is.
    #[default]
    Keep,
    /// Given as null: the field is emptied.
    Clear,
    /// Given: the field takes this value.
    Set(T),
}

impl<T> Patch<T> {
    /// A patch that sets the value when there is one and keeps the field otherwise.
    pub fn given(value: Option<T>) -> Self {
        value.map_or(Self::Keep, Self::Set)
    }

    /// The new value, when one is set.
    pub fn value(&self) -> Option<&T> {
        match self {
            Self::Set(value) => Some(value),
            Self::Keep | Self::Clear => None,
        }
    }

    /// True when the field is given (set or cleared).
    pub fn is_given(&self) -> bool {
        !matches!(self, Self::Keep)
    }

    /// The patch with its value mapped.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Self::Keep => Patch::Keep,
            Self::Clear => Patch::Clear,
            Self::Set(value) => Patch::Set(f(value)),
        }
    }
}

/// Longest name, title, slug and similar one-line text.
pub const MAX_LINE: usize = 200;
/// Longest description or body.
pub const MAX_TEXT: usize = 20_000;

/// Collects the problems of one input.
#[derive(Debug, Default)]
pub struct Checks {
    errors: Vec<Problem>,
    /// Set when the slug was not given but made from the name: its problems are the name's.
    slug_from_name: bool,
}

impl Checks {
    /// The slug of a new object: the one given, or else one made from `name` (whose problems
    /// are then reported on `name`, the field the client sent).
    pub fn slug_or_from_name(&mut self, given: Option<String>, name: &str) -> String {
        match given {
            Some(slug) => slug,
            None => {
                self.slug_from_name = true;
                crate::text::slugify(name)
            }
        }
    }

    /// Records a problem.
    pub fn push(&mut self, field: &str, code: ProblemCode, message: impl Into<String>) {
        if self.slug_from_name && field == "slug" {
            // The client sent no slug: say what is wrong with the name, once.
            if self.errors.iter().any(|e| e.field == "name") {
                return;
            }
            let message = match code {
                ProblemCode::Taken => {
                    "the name gives a slug that is taken: choose another name or give a `slug`"
                }
                _ => "`name` must contain letters or digits (the slug is made from it)",
            };
            return self.push("name", code, message);
        }
        // One problem is reported once, however many checks find it.
        if self
            .errors
            .iter()
            .any(|e| e.field == field && e.code == code)
        {
            return;
        }
        self.errors.push(Problem {
            field: field.to_owned(),
            message: message.into(),
            code,
        });
    }

    /// True when nothing is wrong so far.
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// The problems found.
    pub fn into_errors(self) -> Vec<Problem> {
        self.errors
    }

    /// A required text: present after trimming and at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.push(
                field,
                ProblemCode::Required,
                format!("`{field}` must not be empty"),
            );
        } else {
            self.max(field, value, max);
        }
    }

    /// An optional text of at most `max` characters.
    pub fn max(&mut self, field: &str, value: &str, max: usize) {
        if value.chars().count() > max {
            self.push(
                field,
                ProblemCode::TooLong,
                format!("`{field}` may be at most {max} characters"),
            );
        }
    }

    /// An http(s) URL.
    pub fn url(&mut self, field: &str, value: Option<&str>) {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            return;
        };
        self.max(field, value, 500);
        let rest = value
            .strip_prefix("https://")
            .or_else(|| value.strip_prefix("http://"));
        let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
        let valid = host.is_some_and(|h| {
            !h.is_empty()
                && h.contains('.')
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.:".contains(c))
        }) && !value.chars().any(char::is_whitespace);
        if !valid {
            self.push(
                field,
                ProblemCode::Invalid,
                format!("`{field}` must be an http(s) URL"),
            );
        }
    }

    /// An e-mail address.
    pub fn email(&mut self, field: &str, value: Option<&str>) {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            return;
        };
        self.max(field, value, 254);
        let valid = value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value
                    .chars()
                    .any(|c| c.is_whitespace() || c == '<' || c == '>')
                && !domain.contains('@')
        });
        if !valid {
            self.push(
                field,
                ProblemCode::Invalid,
                format!("`{field}` must be an e-mail address"),
            );
        }
    }

    /// A slug: lowercase ASCII words joined by `-`.
    pub fn slug(&mut self, field: &str, value: &str) {
        if !is_slug(value) || value.len() > MAX_LINE {
            self.push(
                field,
                ProblemCode::Invalid,
                format!("`{field}` must be lowercase letters and digits in words joined by `-`"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_emails() {
        let mut checks = Checks::default();
        checks.url("a", Some("https://www.ggzfriesland.nl/over-ons"));
        checks.url("b", Some("http://example.org"));
        checks.email("c", Some("rvggz@loc.nl"));
        assert!(checks.ok());
        for bad in [
            "javascript:alert(1)",
            "ftp://x.nl",
            "https://",
            "https://nodot",
            "https://a b.nl",
        ] {
            let mut checks = Checks::default();
            checks.url("u", Some(bad));
            assert!(!checks.ok(), "{bad}");
        }
        for bad in ["no-at", "@loc.nl", "a@b", "a@.nl", "a b@loc.nl", "a@b@c.nl"] {
            let mut checks = Checks::default();
            checks.email("e", Some(bad));
            assert!(!checks.ok(), "{bad}");
        }
    }
}
