//! The relations the directory lists under a parent (an organization's regions, a theme's posts,
//! …): for each, which rows qualify and in which order, and how they hang under the parent. The
//! faces load them for many parents at once ([`crate::db::page::Listing::pages_by_parent`]).

use chrono::Utc;
use sea_orm::sea_query::Condition;

use crate::auth::Viewer;
use crate::db::page::{Link, Listing};
use crate::directory;
use crate::vocab::EventRole;

/// The relations that are listed under a parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    /// An organization's regions.
    OrganizationRegions,
    /// An organization's target groups.
    OrganizationTargetGroups,
    /// An organization's themes.
    OrganizationThemes,
    /// An organization's tags.
    OrganizationTags,
    /// The posts by or about an organization.
    OrganizationPosts,
    /// The organizations in a region (or in a finer region under it).
    RegionOrganizations,
    /// The finer regions under a province.
    RegionChildren,
    /// The organizations serving a target group.
    TargetGroupOrganizations,
    /// The organizations working on a theme.
    ThemeOrganizations,
    /// The published posts under a theme.
    ThemePosts,
    /// The organizations with a tag.
    TagOrganizations,
    /// The published posts with a tag.
    TagPosts,
    /// A post's themes.
    PostThemes,
    /// A post's tags.
    PostTags,
    /// The organizations a post is about (its own among them).
    PostOrganizations,
    /// The partner bodies a post is about.
    PostPartners,
    /// The events an organization hosts or takes part in, upcoming or past.
    OrganizationEvents(directory::event::When),
    /// The events under a theme, upcoming or past.
    ThemeEvents(directory::event::When),
    /// An event's themes.
    EventThemes,
    /// An event's tags.
    EventTags,
    /// The organizations hosting or taking part in an event.
    EventOrganizations(EventRole),
    /// The partners hosting or taking part in an event.
    EventPartners(EventRole),
}

impl Relation {
    /// The list under a parent, as `viewer` sees it, and how its rows hang under the parent.
    pub fn spec(self, viewer: &Viewer) -> (Listing, Link) {
        use Relation::*;
        match self {
            OrganizationRegions => (
                directory::region::listing(Condition::all()),
                Link::Few("organization_region", "organization_id", "region_id"),
            ),
            OrganizationTargetGroups => (
                directory::vocabulary::listing("target_group"),
                Link::Few(
                    "organization_target_group",
                    "organization_id",
                    "target_group_id",
                ),
            ),
            OrganizationThemes => (
                directory::vocabulary::listing("theme"),
                Link::Few("organization_theme", "organization_id", "theme_id"),
            ),
            OrganizationTags => (
                directory::vocabulary::listing("tag"),
                Link::Few("organization_tag", "organization_id", "tag_id"),
            ),
            OrganizationPosts => (
                directory::post::listing(viewer, &directory::post::Filter::default()),
                post_link(viewer, "post_organization", "organization_id"),
            ),
            RegionOrganizations => (
                directory::organization::listing(
                    Condition::all(),
                    directory::organization::BY_NAME,
                ),
                Link::Table("organization_region", "region_id", "organization_id"),
            ),
            RegionChildren => (
                directory::region::listing(Condition::all()),
                Link::Column("parent_id"),
            ),
            TargetGroupOrganizations => (
                directory::organization::listing(
                    Condition::all(),
                    directory::organization::BY_NAME,
                ),
                Link::Table(
                    "organization_target_group",
                    "target_group_id",
                    "organization_id",
                ),
            ),
            ThemeOrganizations => (
                directory::organization::listing(
                    Condition::all(),
                    directory::organization::BY_NAME,
                ),
                Link::Table("organization_theme", "theme_id", "organization_id"),
            ),
            ThemePosts => (
                directory::post::listing(viewer, &directory::post::Filter::default()),
                post_link(viewer, "post_theme", "theme_id"),
            ),
            TagOrganizations => (
                directory::organization::listing(
                    Condition::all(),
                    directory::organization::BY_NAME,
                ),
                Link::Table("organization_tag", "tag_id", "organization_id"),
            ),
            TagPosts => (
                directory::post::listing(viewer, &directory::post::Filter::default()),
                post_link(viewer, "post_tag", "tag_id"),
            ),
            PostThemes => (
                directory::vocabulary::listing("theme"),
                Link::Few("post_theme", "post_id", "theme_id"),
            ),
            PostTags => (
                directory::vocabulary::listing("tag"),
                Link::Few("post_tag", "post_id", "tag_id"),
            ),
            PostOrganizations => (
                directory::organization::listing(
                    Condition::all(),
                    directory::organization::BY_NAME,
                ),
                Link::Table("post_organization", "post_id", "organization_id"),
            ),
            PostPartners => (
                directory::partner::listing(Condition::all()),
                Link::Table("post_partner", "post_id", "partner_id"),
            ),
            OrganizationEvents(when) => (
                directory::event::listing(when, Condition::all(), Utc::now()),
                Link::Table("event_organization", "organization_id", "event_id"),
            ),
            ThemeEvents(when) => (
                directory::event::listing(when, Condition::all(), Utc::now()),
                Link::Table("event_theme", "theme_id", "event_id"),
            ),
            EventThemes => (
                directory::vocabulary::listing("theme"),
                Link::Few("event_theme", "event_id", "theme_id"),
            ),
            EventTags => (
                directory::vocabulary::listing("tag"),
                Link::Few("event_tag", "event_id", "tag_id"),
            ),
            // The role is a column of the link table, which every read of the relation joins.
            EventOrganizations(role) => (
                directory::organization::listing(
                    directory::event::in_role("event_organization", role),
                    directory::organization::BY_NAME,
                ),
                Link::Table("event_organization", "event_id", "organization_id"),
            ),
            EventPartners(role) => (
                directory::partner::listing(directory::event::in_role("event_partner", role)),
                Link::Table("event_partner", "event_id", "partner_id"),
            ),
        }
    }
}

/// The posts under a theme, tag or organization: read in order from the link's copy of the publication time
/// when the viewer sees published posts only, else through the posts themselves.
fn post_link(viewer: &Viewer, table: &'static str, parent: &'static str) -> Link {
    if crate::auth::policy::sees_published_posts_only(viewer) {
        Link::Sorted(table, parent, "post_id", "published_at")
    } else {
        Link::Table(table, parent, "post_id")
    }
}
