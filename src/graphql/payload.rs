//! Mutation payloads: the changed object and `userErrors`, the problems with the caller's input.
//! Validation problems are data, not GraphQL errors.

use async_graphql::{Enum, SimpleObject};

use crate::text::is_slug;

/// What is wrong with an input field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum UserErrorCode {
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

/// A problem with the input of a mutation; nothing was changed.
#[derive(Debug, Clone, SimpleObject)]
pub struct UserError {
    /// The input field at fault (camelCase, as in the input type), e.g. `website`.
    pub field: String,
    /// What is wrong, for people.
    pub message: String,
    /// What is wrong, for programs.
    pub code: UserErrorCode,
}

/// Collects the problems of one input.
#[derive(Debug, Default)]
pub struct Checks {
    errors: Vec<UserError>,
    /// Set when the slug was not given but made from the name: its problems are the name's.
    slug_from_name: bool,
}

/// Longest name, title, slug and similar one-line text.
pub const MAX_LINE: usize = 200;
/// Longest description or body.
pub const MAX_TEXT: usize = 20_000;

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
    pub fn push(&mut self, field: &str, code: UserErrorCode, message: impl Into<String>) {
        if self.slug_from_name && field == "slug" {
            // The client sent no slug: say what is wrong with the name, once.
            if self.errors.iter().any(|e| e.field == "name") {
                return;
            }
            let message = match code {
                UserErrorCode::Taken => {
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
        self.errors.push(UserError {
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
    pub fn into_errors(self) -> Vec<UserError> {
        self.errors
    }

    /// A required text: present after trimming and at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.push(
                field,
                UserErrorCode::Required,
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
                UserErrorCode::TooLong,
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
                UserErrorCode::Invalid,
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
                UserErrorCode::Invalid,
                format!("`{field}` must be an e-mail address"),
            );
        }
    }

    /// A slug: lowercase ASCII words joined by `-`.
    pub fn slug(&mut self, field: &str, value: &str) {
        if !is_slug(value) || value.len() > MAX_LINE {
            self.push(
                field,
                UserErrorCode::Invalid,
                format!("`{field}` must be lowercase letters and digits in words joined by `-`"),
            );
        }
    }
}

/// An optional input value as a patch: absent leaves the field as it is.
pub fn defined<T>(value: Option<T>) -> async_graphql::MaybeUndefined<T> {
    value.map_or(
        async_graphql::MaybeUndefined::Undefined,
        async_graphql::MaybeUndefined::Value,
    )
}

/// Defines a mutation payload type: the changed object (absent when there are user errors)
/// and the user errors.
macro_rules! payload {
    ($(#[doc = $doc:literal])* $name:ident, $field:ident: $ty:ty) => {
        $(#[doc = $doc])*
        #[derive(async_graphql::SimpleObject)]
        pub struct $name {
            /// The object as it is after the change; `null` when nothing was changed.
            pub $field: Option<$ty>,
            /// Problems with the input; when there are any, nothing was changed.
            pub user_errors: Vec<$crate::graphql::payload::UserError>,
        }

        impl $name {
            /// A payload for a change that was made.
            pub fn done(value: $ty) -> Self {
                Self { $field: Some(value), user_errors: Vec::new() }
            }

            /// The payload of a write's outcome: the changed row (wrapped), or the user errors
            /// that stopped it.
            pub fn outcome<R>(
                outcome: Result<R, Vec<$crate::graphql::payload::UserError>>,
                wrap: impl FnOnce(R) -> $ty,
            ) -> Self {
                match outcome {
                    Ok(row) => Self::done(wrap(row)),
                    Err(errors) => Self::refused(errors),
                }
            }

            /// A payload for input that was refused.
            pub fn refused(user_errors: Vec<$crate::graphql::payload::UserError>) -> Self {
                Self { $field: None, user_errors }
            }
        }
    };
}
pub(crate) use payload;

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
