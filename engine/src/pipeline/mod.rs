//! `dvc.yaml` pipelines: the schema, templating, `foreach`/`matrix` expansion and
//! the resolved stages that everything else works with.

mod build;
pub mod context;
pub mod interpolate;
mod load;
pub mod model;
pub mod schema;
pub mod top;

pub use load::{load_pipeline, Definition, DefinitionKind, PipelineFile};
pub use model::{Cmd, Out, OutKind, ParamKey, ParamsDep, PathEntry, Stage, StageSpans};
pub use top::{Artifact, TopLevel, TopPlot};
