//! A deterministic synthetic directory for the benchmark kit (`network-directory synthetic
//! --scale small|large`): Dutch-looking organizations, regions, target groups, themes, tags,
//! partners and posts spread over ten years, with a long tail of busy organizations and themes.
//!
//! The same scale always gives the same rows (ids, names, texts, timestamps), on SQLite and on
//! PostgreSQL, so that the kit can compare every answer with a stored reference. Rows go in with
//! multi-row inserts in one transaction (hundreds of thousands of journal entries would measure the
//! loader, not the reader) into an empty database, and the database's statistics are refreshed at
//! the end (`ANALYZE`). Authors' e-mail addresses are stored with their hashes (`hash_email`: the
//! server's keyed hash), as the API writes them, so the server's start has none to hash.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ActiveEnum, ConnectionTrait, DatabaseConnection, Iterable, TransactionTrait, Value};

use crate::error::{AppError, AppResult};
use crate::text::{fold, slugify};
use crate::vocab::{
    AuthorRole, CareDomain, OrganizationSize, OrganizationStatus, PartnerKind, PostKind,
};

/// How big a synthetic directory is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// 20 organizations, 400 posts: the size of today's network.
    Small,
    /// 1,000 organizations, 20,000 posts: LARGE's shape at a tenth of its size (the tests of
    /// the query plans use it).
    Medium,
    /// 10,000 organizations, 200,000 posts: a national directory.
    Large,
}

/// The number of rows of each kind at a scale.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Organizations.
    pub organizations: usize,
    /// Regions (the twelve provinces plus finer regions under them).
    pub regions: usize,
    /// Target groups.
    pub target_groups: usize,
    /// Themes.
    pub themes: usize,
    /// Tags.
    pub tags: usize,
    /// Partners.
    pub partners: usize,
    /// Posts (80% published, 15% pending, 5% rejected).
    pub posts: usize,
}

impl Scale {
    /// The sizes of this scale.
    pub fn sizes(self) -> Sizes {
        match self {
            Scale::Small => Sizes {
                organizations: 20,
                regions: 24,
                target_groups: 6,
                themes: 12,
                tags: 20,
                partners: 10,
                posts: 400,
            },
            Scale::Medium => Sizes {
                organizations: 1_000,
                regions: 60,
                target_groups: 20,
                themes: 50,
                tags: 100,
                partners: 50,
                posts: 20_000,
            },
            Scale::Large => Sizes {
                organizations: 10_000,
                regions: 200,
                target_groups: 20,
                themes: 50,
                tags: 100,
                partners: 200,
                posts: 200_000,
            },
        }
    }
}

/// SplitMix64: a tiny, fixed pseudo-random sequence. Written out here rather than taken from a
/// crate because the data set must stay byte-for-byte the same across crate upgrades.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n).
    fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize
    }

    /// In [0, n), the low end far more often: a long tail.
    fn skewed(&mut self, n: usize, power: f64) -> usize {
        ((self.unit().powf(power) * n as f64) as usize).min(n - 1)
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.below(words.len())]
    }

    /// `count` distinct values in [0, n), drawn with `power` skew, ascending.
    fn distinct(&mut self, count: usize, n: usize, power: f64) -> Vec<usize> {
        let mut out = Vec::with_capacity(count);
        let mut tries = 0;
        while out.len() < count.min(n) && tries < count * 20 {
            let value = self.skewed(n, power);
            if !out.contains(&value) {
                out.push(value);
            }
            tries += 1;
        }
        out.sort_unstable();
        out
    }
}

const PROVINCES: [&str; 12] = [
    "Groningen",
    "Friesland",
    "Drenthe",
    "Overijssel",
    "Flevoland",
    "Gelderland",
    "Utrecht",
    "Noord-Holland",
    "Zuid-Holland",
    "Zeeland",
    "Noord-Brabant",
    "Limburg",
];

const PLACES: [&str; 60] = [
    "Amsterdam",
    "Rotterdam",
    "Den Haag",
    "Utrecht",
    "Eindhoven",
    "Groningen",
    "Tilburg",
    "Almere",
    "Breda",
    "Nijmegen",
    "Apeldoorn",
    "Haarlem",
    "Arnhem",
    "Enschede",
    "Amersfoort",
    "Zaandam",
    "Den Bosch",
    "Zwolle",
    "Leiden",
    "Maastricht",
    "Dordrecht",
    "Zoetermeer",
    "Ede",
    "Leeuwarden",
    "Alkmaar",
    "Emmen",
    "Delft",
    "Deventer",
    "Venlo",
    "Helmond",
    "Hilversum",
    "Heerlen",
    "Oss",
    "Roosendaal",
    "Purmerend",
    "Assen",
    "Sittard",
    "Hoorn",
    "Gouda",
    "Middelburg",
    "Vlissingen",
    "Lelystad",
    "Kampen",
    "Harderwijk",
    "Doetinchem",
    "Drachten",
    "Sneek",
    "Hoogeveen",
    "Meppel",
    "Tiel",
    "Veenendaal",
    "Zeist",
    "Wageningen",
    "Terneuzen",
    "Goes",
    "Weert",
    "Roermond",
    "Heerenveen",
    "Winterswijk",
    "Culemborg",
];

const PREFIXES: [&str; 20] = [
    "GGZ",
    "Stichting",
    "Zorggroep",
    "Herstelhuis",
    "Kwadrant",
    "Het Lichtpunt",
    "De Brug",
    "Beschermd Wonen",
    "Cliëntenraad",
    "Ambulant Team",
    "Levgroep",
    "Wijkteam",
    "Ervaringshuis",
    "Zorgcentrum",
    "De Kajuit",
    "Woonzorg",
    "Het Anker",
    "Vitaal",
    "Samen Sterk",
    "Inloophuis",
];

const SUFFIXES: [&str; 10] = [
    "",
    "Noord",
    "Oost",
    "Zuid",
    "West",
    "Centrum",
    "en Omstreken",
    "Stad",
    "Regio",
    "Plus",
];

const TARGET_GROUPS: [&str; 20] = [
    "Kinderen",
    "Jongeren",
    "Jongvolwassenen",
    "Volwassenen",
    "Ouderen",
    "Gezinnen",
    "Dak- en thuislozen",
    "Mensen met een verslaving",
    "Mensen met een licht verstandelijke beperking",
    "Statushouders",
    "Mantelzorgers",
    "Naasten",
    "Ervaringsdeskundigen",
    "Studenten",
    "Werkzoekenden",
    "Mensen met schulden",
    "Justitiabelen",
    "Mensen met autisme",
    "Mensen met psychose",
    "Mensen met trauma",
];

const THEME_WORDS: [&str; 25] = [
    "Herstel",
    "Wonen",
    "Werk",
    "Ervaringsdeskundigheid",
    "Eigen regie",
    "Samenwerking",
    "Financiering",
    "Preventie",
    "Wijkgerichte zorg",
    "Zingeving",
    "Naasten",
    "Dwang en drang",
    "Inclusie",
    "Participatie",
    "Leefstijl",
    "Digitale zorg",
    "Onderwijs",
    "Armoede",
    "Veiligheid",
    "Zelfhulp",
    "Perspectief",
    "Verbinding",
    "Sociale netwerken",
    "Gezondheid",
    "Waardevolle zorg",
];

const WORDS: [&str; 48] = [
    "herstel",
    "cliënten",
    "naasten",
    "zorg",
    "wijk",
    "samenwerking",
    "ervaringsdeskundigen",
    "gemeente",
    "organisatie",
    "bewoners",
    "begeleiding",
    "regie",
    "dagbesteding",
    "ontmoeting",
    "verbinding",
    "wachttijd",
    "behandeling",
    "perspectief",
    "netwerk",
    "vertrouwen",
    "huisvesting",
    "werk",
    "vrijwilligers",
    "medewerkers",
    "inspiratie",
    "beweging",
    "vernieuwing",
    "langdurige",
    "ondersteuning",
    "eigenaarschap",
    "gesprek",
    "praktijk",
    "leren",
    "samen",
    "ruimte",
    "mensen",
    "kwaliteit",
    "aandacht",
    "veerkracht",
    "toekomst",
    "welzijn",
    "plek",
    "thuis",
    "stappen",
    "ervaring",
    "waarde",
    "dialoog",
    "uitdaging",
];

const FIRST_NAMES: [&str; 16] = [
    "Anna", "Bram", "Chantal", "Daan", "Eva", "Fatima", "Gert", "Hanneke", "Ilse", "Jeroen",
    "Kees", "Lotte", "Mohamed", "Noor", "Pieter", "Sanne",
];

const LAST_NAMES: [&str; 16] = [
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
];

/// What was loaded.
#[derive(Debug, Clone, Copy)]
pub struct LoadReport {
    /// Rows inserted, links included.
    pub rows: usize,
}

/// The moment every synthetic row was created: fixed, so answers are reproducible.
fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

fn text_value(value: impl Into<String>) -> Value {
    Value::from(value.into())
}

fn enum_value<E: ActiveEnum<Value = String>>(value: E) -> Value {
    Value::from(value.to_value())
}

/// Multi-row inserts of `rows` into `table`, as many rows per statement as the bind-parameter
/// limits of both databases allow.
struct Bulk<'a, C> {
    db: &'a C,
    table: &'static str,
    columns: Vec<&'static str>,
    rows: Vec<Vec<Value>>,
    written: usize,
}

impl<'a, C: ConnectionTrait> Bulk<'a, C> {
    fn new(db: &'a C, table: &'static str, columns: &[&'static str]) -> Self {
        Self {
            db,
            table,
            columns: columns.to_vec(),
            rows: Vec::new(),
            written: 0,
        }
    }

    /// A bulk insert into a mutable table: the bookkeeping columns, then `columns`.
    fn mutable(db: &'a C, table: &'static str, columns: &[&'static str]) -> Self {
        let mut all = MUTABLE.to_vec();
        all.extend_from_slice(columns);
        Self::new(db, table, &all)
    }

    async fn push(&mut self, row: Vec<Value>) -> AppResult<()> {
        self.rows.push(row);
        // SQLite allows 32,766 bound values per statement; PostgreSQL 65,535.
        if self.rows.len() * self.columns.len() >= 30_000 {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> AppResult<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new(self.table))
            .columns(self.columns.iter().map(|c| Alias::new(*c)));
        for row in self.rows.drain(..) {
            self.written += 1;
            insert
                .values(row.into_iter().map(Expr::val))
                .map_err(AppError::internal)?;
        }
        self.db.execute(&insert).await?;
        Ok(())
    }

    async fn finish(mut self) -> AppResult<usize> {
        self.flush().await?;
        Ok(self.written)
    }
}

const ORGANIZATION_LINKS: [(&str, &str); 4] = [
    ("organization_region", "region_id"),
    ("organization_target_group", "target_group_id"),
    ("organization_theme", "theme_id"),
    ("organization_tag", "tag_id"),
];

/// Inserts `(left, right)` id pairs into a link table.
async fn insert_pairs(
    db: &impl ConnectionTrait,
    table: &'static str,
    columns: [&'static str; 2],
    pairs: &[(usize, usize)],
) -> AppResult<usize> {
    let mut bulk = Bulk::new(db, table, &columns);
    for (left, right) in pairs {
        bulk.push(vec![Value::from(*left as i32), Value::from(*right as i32)])
            .await?;
    }
    bulk.finish().await
}

/// The bookkeeping columns every mutable row starts with, filled by [`bookkeeping`].
const MUTABLE: [&str; 4] = ["id", "created_at", "updated_at", "version"];

fn bookkeeping(id: usize) -> Vec<Value> {
    vec![
        Value::from(id as i32),
        Value::from(epoch()),
        Value::from(epoch()),
        Value::from(1i64),
    ]
}

/// A sentence of `words` Dutch words, capitalized, ending with a full stop.
fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut out = String::new();
    for i in 0..words {
        let word = rng.pick(&WORDS);
        if i == 0 {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        } else {
            out.push(' ');
            out.push_str(word);
        }
    }
    out.push('.');
    out
}

fn paragraph(rng: &mut Rng, sentences: usize) -> String {
    (0..sentences)
        .map(|_| {
            let words = 6 + rng.below(8);
            sentence(rng, words)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The name of organization `index` (0-based): a unique combination of prefix, place and suffix,
/// scattered so that ids and alphabetical order do not coincide.
fn organization_name(index: usize) -> String {
    let combinations = PREFIXES.len() * PLACES.len() * SUFFIXES.len();
    // 7919 is prime and does not divide 12,000: `index → index × 7919 mod 12,000` is one-to-one.
    let n = (index * 7919) % combinations;
    let prefix = PREFIXES[n % PREFIXES.len()];
    let place = PLACES[(n / PREFIXES.len()) % PLACES.len()];
    let suffix = SUFFIXES[n / (PREFIXES.len() * PLACES.len())];
    if suffix.is_empty() {
        format!("{prefix} {place}")
    } else {
        format!("{prefix} {place} {suffix}")
    }
}

/// Loads the synthetic directory of `scale` into an empty database, then refreshes the
/// planner's statistics.
pub async fn load(
    db: &DatabaseConnection,
    scale: Scale,
    hash_email: &(dyn Fn(&str) -> String + Sync),
) -> AppResult<LoadReport> {
    if !crate::db::seed::is_empty(db).await? {
        return Err(AppError::bad_input(
            "the database already holds directory data: load synthetic data into an empty one",
        ));
    }
    let sizes = scale.sizes();
    let txn = db.begin().await?;
    let mut rng = Rng(0x6767_7a00 + sizes.organizations as u64);
    let mut rows = 0;

    // Regions: the provinces, then finer regions under them.
    let mut regions = Bulk::mutable(
        &txn,
        "region",
        &["slug", "name", "sort_name", "kind", "parent_id"],
    );
    for i in 0..sizes.regions {
        let (name, kind, parent) = if i < PROVINCES.len() {
            (
                PROVINCES[i].to_owned(),
                crate::vocab::RegionKind::Province,
                None,
            )
        } else {
            let parent = rng.below(PROVINCES.len());
            let name = format!("{} {}", PLACES[i % PLACES.len()], i);
            (
                name,
                crate::vocab::RegionKind::Region,
                Some(parent as i32 + 1),
            )
        };
        let mut row = bookkeeping(i + 1);
        row.extend([
            text_value(slugify(&name)),
            text_value(name.clone()),
            text_value(fold(&name)),
            enum_value(kind),
            Value::from(parent),
        ]);
        regions.push(row).await?;
    }
    rows += regions.finish().await?;

    // Target groups, themes, tags: named terms.
    for (table, count) in [
        ("target_group", sizes.target_groups),
        ("theme", sizes.themes),
        ("tag", sizes.tags),
    ] {
        let mut terms = Bulk::mutable(&txn, table, &["slug", "name", "sort_name", "description"]);
        for i in 0..count {
            let names: &[&str] = match table {
                "target_group" => &TARGET_GROUPS,
                "theme" => &THEME_WORDS,
                _ => &WORDS,
            };
            // Past the end of the list, names repeat with a number, so they stay unique.
            let name = match i < names.len() {
                true => names[i].to_owned(),
                false => format!("{} {}", names[i % names.len()], i + 1),
            };
            let mut row = bookkeeping(i + 1);
            row.extend([
                text_value(slugify(&name)),
                text_value(name.clone()),
                text_value(fold(&name)),
                text_value(sentence(&mut rng, 10)),
            ]);
            terms.push(row).await?;
        }
        rows += terms.finish().await?;
    }

    // Organizations and their links.
    let mut organizations = Bulk::mutable(
        &txn,
        "organization",
        &[
            "slug",
            "name",
            "sort_name",
            "name_words",
            "also_known_as",
            "description",
            "website",
            "city",
            "size",
            "status",
            "joined_on",
            "public_email",
            "contact_name",
            "contact_email",
        ],
    );
    let mut links = [
        (Vec::new(), sizes.regions, 3),
        (Vec::new(), sizes.target_groups, 3),
        (Vec::new(), sizes.themes, 4),
        (Vec::new(), sizes.tags, 3),
    ];
    let mut domain_pairs = Vec::new();
    let all_domains: Vec<CareDomain> = CareDomain::iter().collect();
    let statuses = [
        OrganizationStatus::Participant,
        OrganizationStatus::Participant,
        OrganizationStatus::Participant,
        OrganizationStatus::Considering,
    ];
    let org_sizes: Vec<OrganizationSize> = OrganizationSize::iter().collect();
    let first_joined = NaiveDate::from_ymd_opt(2021, 1, 26).unwrap_or_default();
    for i in 0..sizes.organizations {
        let id = i + 1;
        let name = organization_name(i);
        let slug = slugify(&name);
        let place = PLACES[rng.below(PLACES.len())];
        let status = statuses[rng.below(statuses.len())];
        let joined = (status == OrganizationStatus::Participant)
            .then(|| first_joined + Duration::days(rng.below(5 * 365) as i64));
        let aliases: Vec<String> = if rng.below(5) == 0 {
            vec![format!("{} {}", rng.pick(&PREFIXES), place)]
        } else {
            Vec::new()
        };
        let mut row = bookkeeping(id);
        row.extend([
            text_value(slug.clone()),
            text_value(name.clone()),
            text_value(fold(&name)),
            text_value(crate::text::name_words(&name, &aliases)),
            Value::from(serde_json::json!(aliases)),
            text_value(paragraph(&mut rng, 3)),
            text_value(format!("https://{slug}.example.nl")),
            text_value(place),
            enum_value(org_sizes[rng.below(org_sizes.len())]),
            enum_value(status),
            Value::from(joined),
            text_value(format!("info@{slug}.example.nl")),
            text_value(format!(
                "{} {}",
                rng.pick(&FIRST_NAMES),
                rng.pick(&LAST_NAMES)
            )),
            text_value(format!("contact@{slug}.example.nl")),
        ]);
        organizations.push(row).await?;
        for (pairs, n, most) in &mut links {
            let count = 1 + rng.below(*most);
            for other in rng.distinct(count, *n, 1.5) {
                pairs.push((id, other + 1));
            }
        }
        let count = 1 + rng.below(2);
        for domain in rng.distinct(count, all_domains.len(), 1.0) {
            domain_pairs.push((id, domain));
        }
    }
    // Links go in after the rows they point to (foreign keys are checked per statement).
    rows += organizations.finish().await?;
    for ((table, column), (pairs, _, _)) in ORGANIZATION_LINKS.into_iter().zip(links) {
        rows += insert_pairs(&txn, table, ["organization_id", column], &pairs).await?;
    }
    let mut domains = Bulk::new(
        &txn,
        "organization_care_domain",
        &["organization_id", "care_domain"],
    );
    for (id, domain) in domain_pairs {
        domains
            .push(vec![
                Value::from(id as i32),
                enum_value(all_domains[domain]),
            ])
            .await?;
    }
    rows += domains.finish().await?;

    // Partners.
    let kinds: Vec<PartnerKind> = PartnerKind::iter().collect();
    let mut partners = Bulk::mutable(
        &txn,
        "partner",
        &[
            "slug",
            "name",
            "sort_name",
            "kind",
            "role",
            "description",
            "website",
            "core_team",
        ],
    );
    for i in 0..sizes.partners {
        let name = format!(
            "{} {} {}",
            [
                "Kenniscentrum",
                "Vereniging",
                "Zorgkantoor",
                "Platform",
                "Fonds"
            ][i % 5],
            PLACES[(i * 7) % PLACES.len()],
            i + 1
        );
        let mut row = bookkeeping(i + 1);
        row.extend([
            text_value(slugify(&name)),
            text_value(name.clone()),
            text_value(fold(&name)),
            enum_value(kinds[i % kinds.len()]),
            text_value(sentence(&mut rng, 8)),
            text_value(paragraph(&mut rng, 2)),
            text_value(format!("https://{}.example.nl", slugify(&name))),
            Value::from(i < 8),
        ]);
        partners.push(row).await?;
    }
    rows += partners.finish().await?;

    // Posts: a long tail of busy organizations and themes, spread over ten years.
    let post_kinds: Vec<PostKind> = PostKind::iter().collect();
    let roles: Vec<AuthorRole> = AuthorRole::iter().collect();
    let mut posts = Bulk::mutable(
        &txn,
        "post",
        &[
            "slug",
            "kind",
            "title",
            "body",
            "author_name",
            "author_role",
            "author_email",
            "author_email_hash",
            "organization_id",
            "status",
            "published_at",
        ],
    );
    let mut post_themes = Vec::new();
    let mut post_tags = Vec::new();
    let ten_years = 10 * 365 * 24 * 3600;
    let start = epoch() - Duration::seconds(ten_years);
    for i in 0..sizes.posts {
        let id = i + 1;
        let roll = rng.below(20);
        let status = match roll {
            0..=15 => crate::vocab::PostStatus::Published,
            16..=18 => crate::vocab::PostStatus::Pending,
            _ => crate::vocab::PostStatus::Rejected,
        };
        let at = start + Duration::seconds(rng.below(ten_years as usize) as i64);
        let organization = rng.skewed(sizes.organizations, 2.0) + 1;
        let words = 3 + rng.below(5);
        let title = sentence(&mut rng, words);
        let title = title.trim_end_matches('.').to_owned();
        let author = format!("{} {}", rng.pick(&FIRST_NAMES), rng.pick(&LAST_NAMES));
        let email = (status != crate::vocab::PostStatus::Published)
            .then(|| format!("{}@example.nl", slugify(&author)));
        let mut row = vec![
            Value::from(id as i32),
            Value::from(at),
            Value::from(at),
            Value::from(1i64),
        ];
        let sentences = 4 + rng.below(6);
        row.extend([
            text_value(format!("{}-{id}", slugify(&title))),
            enum_value(post_kinds[rng.below(post_kinds.len())]),
            text_value(title),
            text_value(paragraph(&mut rng, sentences)),
            text_value(author),
            enum_value(roles[rng.below(roles.len())]),
            Value::from(email.as_deref().map(hash_email)),
            Value::from(email),
            Value::from(organization as i32),
            enum_value(status),
            Value::from((status == crate::vocab::PostStatus::Published).then_some(at)),
        ]);
        posts.push(row).await?;
        let count = 1 + rng.below(3);
        for theme in rng.distinct(count, sizes.themes, 1.5) {
            post_themes.push((id, theme + 1));
        }
        let count = rng.below(3);
        for tag in rng.distinct(count, sizes.tags, 1.5) {
            post_tags.push((id, tag + 1));
        }
    }
    rows += posts.finish().await?;
    rows += insert_pairs(&txn, "post_theme", ["post_id", "theme_id"], &post_themes).await?;
    rows += insert_pairs(&txn, "post_tag", ["post_id", "tag_id"], &post_tags).await?;

    if crate::db::is_postgres(&txn) {
        // Ids were given explicitly: move each sequence past them.
        for table in [
            "region",
            "target_group",
            "theme",
            "tag",
            "organization",
            "partner",
            "post",
        ] {
            txn.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .await?;
        }
    }
    txn.commit().await?;
    crate::db::analyze(db).await?;
    Ok(LoadReport { rows })
}
