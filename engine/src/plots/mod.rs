//! Plots as DVC defines them: definitions collected from `dvc.yaml` files at
//! one or more revisions, data loaded from JSON, YAML, CSV, TSV and image
//! files, Vega-Lite specs filled from templates, and static SVG and HTML
//! renderings that need no JavaScript or network.
//!
//! The flow: [`show::collect_plots`] reads each revision ([`collect`],
//! [`data`]) and groups the result into [`group::Plot`]s;
//! [`output::prepare`] fills the templates ([`fill`], [`template`]); then
//! [`output::to_json`], [`svg::render`] and [`html::page`] write it out.

pub mod collect;
pub mod convert;
pub mod data;
pub mod files;
pub mod fill;
pub mod group;
pub mod html;
pub mod json;
pub mod output;
pub mod props;
pub mod show;
pub mod sv;
pub mod svg;
pub mod template;

pub use group::{Plot, PlotIssue};
pub use json::Json;
pub use output::{prepare, Prepared};
pub use props::{Axis, PlotProps};
pub use show::{collect_plots, diff_revisions, PlotsError, PlotsOptions, PlotsResult, WORKSPACE};
