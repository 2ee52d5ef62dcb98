//! The Dutch identifiers partners match organizations by, in the one form they are stored and
//! filtered in:
//!
//! - the **KvK number** (Chamber of Commerce, *KVK-nummer*): 8 digits, a sequence number of the
//!   Handelsregister that may start with 0 and has no check digit (KvK: "Het nummer bestaat altijd
//!   uit precies 8 cijfers … geen verdere logica"), so only its form can be checked;
//! - the **AGB code** (*Algemeen GegevensBeheer*, Vektis' register of care providers): 8 digits,
//!   the first two the kind of care provider (never `00`);
//! - the **website domain**: a host name such as `ggzfriesland.nl` (lowercase, no scheme, path
//!   or `www.` stripping: the domain as the organization gives it).
//!
//! Spaces and dots that people type in numbers (`1234 5678`, `06.12.34.56`) are ignored.

/// Reads an identifier into its stored form, or says what is wrong with it.
pub type Parse = fn(&str) -> Result<String, &'static str>;

/// The digits of a number as people type it: spaces and dots dropped.
fn digits(text: &str) -> String {
    text.chars().filter(|c| !matches!(c, ' ' | '.')).collect()
}

/// A KvK number in its stored form (8 digits), or what is wrong with it.
pub fn kvk_number(text: &str) -> Result<String, &'static str> {
    let number = digits(text);
    if number.len() != 8 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err("a KvK number is 8 digits, e.g. `01234567`");
    }
    if number == "00000000" {
        return Err("`00000000` is not a KvK number");
    }
    Ok(number)
}

/// An AGB code in its stored form (8 digits), or what is wrong with it.
pub fn agb_code(text: &str) -> Result<String, &'static str> {
    let code = digits(text);
    if code.len() != 8 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err("an AGB code is 8 digits, e.g. `06123456`");
    }
    if code.starts_with("00") {
        return Err(
            "an AGB code starts with the two digits of a kind of care provider, never `00`",
        );
    }
    Ok(code)
}

/// A website domain in its stored form (lowercase, without a final dot), or what is wrong with
/// it.
pub fn website_domain(text: &str) -> Result<String, &'static str> {
    let domain = text.trim().trim_end_matches('.').to_ascii_lowercase();
    if domain.contains("://") || domain.contains('/') {
        return Err("give the domain only, without `https://` or a path, e.g. `ggzfriesland.nl`");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let top = labels.last().copied().unwrap_or_default();
    if domain.len() > 253
        || labels.len() < 2
        || !labels.iter().all(label_ok)
        || top.len() < 2
        || top.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(
            "a website domain is a host name such as `ggzfriesland.nl` (letters, digits and `-`; \
             international names in their `xn--` form)",
        );
    }
    Ok(domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kvk_numbers() {
        assert_eq!(kvk_number("01234567"), Ok("01234567".to_owned()));
        assert_eq!(kvk_number(" 4123 4567 "), Ok("41234567".to_owned()));
        assert_eq!(kvk_number("41.23.45.67"), Ok("41234567".to_owned()));
        for bad in [
            "",
            "1234567",
            "123456789",
            "1234567a",
            "00000000",
            "１２３４５６７８",
        ] {
            assert!(kvk_number(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn agb_codes() {
        assert_eq!(agb_code("06123456"), Ok("06123456".to_owned()));
        assert_eq!(agb_code("4110 2030"), Ok("41102030".to_owned()));
        for bad in ["", "0612345", "061234567", "00123456", "O6123456"] {
            assert!(agb_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn website_domains() {
        assert_eq!(
            website_domain("GGZFriesland.nl."),
            Ok("ggzfriesland.nl".to_owned())
        );
        assert_eq!(
            website_domain("www.xn--clinten-bya.nl"),
            Ok("www.xn--clinten-bya.nl".to_owned())
        );
        for bad in [
            "",
            "localhost",
            "https://ggzfriesland.nl",
            "ggzfriesland.nl/over",
            "-a.nl",
            "a-.nl",
            "a..nl",
            "cliënten.nl",
            "10.0.0.1",
            "a b.nl",
        ] {
            assert!(website_domain(bad).is_err(), "{bad}");
        }
    }
}
