//! Text normalization shared by storage and search: diacritic folding, sort keys and slugs.

/// Lowercase ASCII with diacritics folded: "Cliënten" → "clienten". Used as the byte-wise sort
/// key (`sort_name`), so lists order the same on SQLite and PostgreSQL.
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

/// A slug: lowercase ASCII words joined by `-`, diacritics folded:
/// "GGZ Noord-Holland-Noord" → "ggz-noord-holland-noord".
pub fn slugify(text: &str) -> String {
    let folded = fold(text);
    let mut slug = String::with_capacity(folded.len());
    for word in folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(word);
    }
    slug
}

/// True when `slug` is already in slug form.
pub fn is_slug(slug: &str) -> bool {
    !slug.is_empty() && slugify(slug) == slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_fold_diacritics_and_punctuation() {
        assert_eq!(
            slugify("GGZ Noord-Holland-Noord"),
            "ggz-noord-holland-noord"
        );
        assert_eq!(slugify("HVO Querido"), "hvo-querido");
        assert_eq!(slugify("cliënten"), "clienten");
        assert_eq!(slugify("GGZ Friesland/Mind-up"), "ggz-friesland-mind-up");
        assert_eq!(slugify("  Leger des Heils "), "leger-des-heils");
        assert!(is_slug("ggz-friesland"));
        assert!(!is_slug("GGZ Friesland"));
        assert!(!is_slug("a--b"));
    }

    #[test]
    fn fold_lowercases_and_strips_accents() {
        assert_eq!(fold("Coördinatoren"), "coordinatoren");
        assert_eq!(fold("LEVANTOgroep"), "levantogroep");
    }
}
