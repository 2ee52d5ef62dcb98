//! The closed vocabularies of the directory (care domains, statuses, kinds, roles).
//!
//! Each enum is defined once and used by storage (stored as the lowercase Dutch or snake_case
//! string in `string_value`), by the seed file (the same string through serde) and by the API
//! (an English GraphQL enum value). A vocabulary is not an entity, so sharing it across the
//! layers cannot leak a private column; defining it three times could only let them drift.

use async_graphql::Enum;
use sea_orm::entity::prelude::StringLen;
use sea_orm::{DeriveActiveEnum, EnumIter};
use serde::{Deserialize, Serialize};

/// Declares a closed vocabulary: an enum stored as text (the variant's name in snake_case, or
/// the `string_value` a variant gives), read and written the same way by serde (the seed file),
/// and a GraphQL enum (the variant's name in SCREAMING_CASE).
macro_rules! vocabulary {
    ($(#[$meta:meta])* pub enum $name:ident { $($variants:tt)* }) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            EnumIter,
            DeriveActiveEnum,
            Enum,
            Serialize,
            Deserialize,
        )]
        #[sea_orm(
            rs_type = "String",
            db_type = "String(StringLen::None)",
            rename_all = "snake_case"
        )]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variants)* }
    };
}

vocabulary! {
    /// Whether a region is a province or a finer region inside one.
    pub enum RegionKind {
        /// One of the twelve provinces of the Netherlands.
        Province,
        /// A finer region (a city or area) inside a province.
        Region,
    }
}

vocabulary! {
    /// An organization's relation to the network.
    pub enum OrganizationStatus {
        /// Takes part in the network (deelnemer).
        Participant,
        /// Is considering taking part.
        Considering,
        /// Took part in the past.
        Former,
    }
}

vocabulary! {
    /// The size of an organization, as it describes itself.
    pub enum OrganizationSize {
        /// A small organization.
        Small,
        /// A medium-sized organization.
        Medium,
        /// A large organization.
        Large,
    }
}

vocabulary! {
    /// A domain of care an organization provides.
    pub enum CareDomain {
        /// Mental-health care (ggz).
        #[sea_orm(string_value = "ggz")]
        #[serde(rename = "ggz")]
        MentalHealthCare,
        /// Sheltered housing (beschermd wonen).
        #[sea_orm(string_value = "beschermd_wonen")]
        #[serde(rename = "beschermd_wonen")]
        ShelteredHousing,
        /// Social shelter (maatschappelijke opvang).
        #[sea_orm(string_value = "maatschappelijke_opvang")]
        #[serde(rename = "maatschappelijke_opvang")]
        SocialShelter,
        /// Forensic care (forensische zorg).
        #[sea_orm(string_value = "forensische_zorg")]
        #[serde(rename = "forensische_zorg")]
        ForensicCare,
        /// Addiction care (verslavingszorg).
        #[sea_orm(string_value = "verslavingszorg")]
        #[serde(rename = "verslavingszorg")]
        AddictionCare,
    }
}

vocabulary! {
    /// The kind of a partner body.
    pub enum PartnerKind {
        /// A knowledge institute (kennisinstituut).
        KnowledgeInstitute,
        /// A sector association (brancheorganisatie).
        SectorAssociation,
        /// A government body (ministry, municipalities, assessment centre).
        Government,
        /// A regulator (inspectorate, health-care authority).
        Regulator,
        /// A care office (zorgkantoor), purchasing long-term care.
        CareOffice,
        /// A client-interest organization.
        ClientOrganization,
        /// A supporter of the movement.
        Supporter,
        /// A related initiative the movement strengthens or works with (ART, Over de brug II, the
        /// sister movement in nursing-home care), or a party named as taking part in one.
        Initiative,
    }
}

vocabulary! {
    /// The kind of a post: the movement's own articles, or people's contributions.
    pub enum PostKind {
        /// A news article.
        News,
        /// A report of a meeting or a document.
        Report,
        /// A blog.
        Blog,
        /// A contribution: what someone already does to bring about change.
        Practice,
        /// A contribution: what matters for that change.
        WhatMatters,
        /// A contribution: an idea for more effect through the national movement.
        Idea,
        /// A contribution: a question.
        Question,
    }
}

vocabulary! {
    /// Where a post stands in moderation.
    pub enum PostStatus {
        /// Waiting for moderation; not public.
        Pending,
        /// Public.
        Published,
        /// Rejected by a moderator; not public.
        Rejected,
    }
}

vocabulary! {
    /// The role a person writes from.
    pub enum AuthorRole {
        /// A client.
        Client,
        /// An experience expert (ervaringsdeskundige).
        ExperienceExpert,
        /// A family member or next of kin (naaste).
        FamilyMember,
        /// A care professional (hulpverlener).
        CareProfessional,
        /// A manager.
        Manager,
        /// An executive (bestuurder).
        Executive,
        /// A supervisory board member (toezichthouder).
        SupervisoryBoardMember,
        /// A purchaser of care (inkoper).
        Purchaser,
        /// A knowledge worker or researcher.
        Researcher,
        /// A policy maker.
        PolicyMaker,
    }
}

vocabulary! {
    /// How people attend an event.
    pub enum AttendanceMode {
        /// Online only.
        Online,
        /// In person, at a place.
        Physical,
        /// In person and online.
        Hybrid,
    }
}

/// How an organization or partner takes part in an event.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum EventRole {
    /// Hosts (organizes) the event.
    Host,
    /// Takes part in the event.
    Participant,
}
