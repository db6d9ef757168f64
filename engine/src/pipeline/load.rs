//! Loads one `dvc.yaml`: parses it, validates its shape, builds the templating
//! context, expands `foreach` and `matrix` groups and resolves every stage.
//! Problems become diagnostics; whatever could be resolved is kept, so that a
//! file with one broken stage still shows the others in the editor.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::files::ParsedFiles;
use crate::formats::yaml;
use crate::node::{Map, Node, Value};
use crate::paths;
use crate::pyfmt;
use crate::suggest;
use crate::text::Span;

use super::build::{build_stage, StageInput};
use super::context::{Context, ContextError, CtxNode, CtxValue, TrackedVars, VarsItem};
use super::interpolate::{self, InterpolationError, ParsingConfig, Resolver};
use super::model::Stage;
use super::schema;
use super::top::{self, TopLevel};

/// How a top-level stage entry generates stages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefinitionKind {
    Plain,
    Foreach,
    Matrix,
}

/// One entry under `stages:` as written, with the names it generated.
#[derive(Clone, Debug)]
pub struct Definition {
    pub name: String,
    pub kind: DefinitionKind,
    pub name_span: Span,
    pub span: Span,
    /// Names of the stages this entry produced (one for a plain stage).
    pub generated: Vec<String>,
}

/// A loaded `dvc.yaml`.
#[derive(Clone, Debug)]
pub struct PipelineFile {
    /// Project-relative path of the file.
    pub path: String,
    /// Its directory, project-relative (`""` at the root).
    pub dir: String,
    pub text: Arc<str>,
    pub root: Option<Node>,
    pub definitions: Vec<Definition>,
    pub stages: Vec<Stage>,
    pub top: TopLevel,
    /// The top-level templating context, for hovers and completion.
    pub context: Context,
    pub diagnostics: Vec<Diagnostic>,
}

impl PipelineFile {
    /// Whether DVC would refuse to load this file (or one of its stages).
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|diagnostic| diagnostic.severity == Severity::Error)
    }

    pub fn stage(&self, name: &str) -> Option<&Stage> {
        self.stages.iter().find(|stage| stage.name == name)
    }
}

/// Loads the `dvc.yaml` at a project-relative path.
pub fn load_pipeline(files: &ParsedFiles<'_>, path: &str, config: ParsingConfig) -> PipelineFile {
    let dir = paths::parent(path).to_string();
    let text = match files.source().read(path) {
        Ok(text) => text,
        Err(error) => {
            let mut file = empty_file(path, dir, Arc::from(""));
            file.diagnostics.push(Diagnostic::error(
                path,
                Span::default(),
                "unreadable-file",
                format!("unable to read '{path}': {error}"),
            ));
            return file;
        }
    };
    let parsed = yaml::parse(&text);
    let mut file = empty_file(path, dir, text);
    let syntax_broken = !parsed.errors.is_empty();
    for error in &parsed.errors {
        file.diagnostics.push(Diagnostic::error(
            path,
            error.span,
            "yaml-syntax",
            format!("invalid YAML in '{path}': {}", error.message),
        ));
    }
    let Some(root) = parsed.root else {
        return file;
    };
    if root.as_map().is_none() {
        if !root.is_null() {
            file.diagnostics.push(Diagnostic::error(
                path,
                root.span,
                "wrong-type",
                format!("'{path}' must be a mapping with keys such as 'stages' and 'vars'"),
            ));
        }
        return file;
    }

    let mut loader = Loader {
        files,
        source: file.text.clone(),
        path,
        dir: &file.dir,
        config,
        diagnostics: Vec::new(),
    };
    // A half-typed file gives spurious shape errors; syntax errors come first.
    if !syntax_broken {
        loader.diagnostics.extend(schema::validate(&root, path));
    }

    let mut context = Context::new();
    loader.load_top_vars(&root, &mut context);
    let (definitions, stages) = loader.load_stages(&root, &mut context);
    let top = top::resolve_top_level(
        &root,
        &context,
        path,
        config,
        &loader.source,
        &mut loader.diagnostics,
    );

    file.diagnostics.extend(loader.diagnostics);
    dedup_diagnostics(&mut file.diagnostics);
    file.root = Some(root);
    file.definitions = definitions;
    file.stages = stages;
    file.top = top;
    file.context = context;
    file
}

fn empty_file(path: &str, dir: String, text: Arc<str>) -> PipelineFile {
    PipelineFile {
        path: path.to_string(),
        dir,
        text,
        root: None,
        definitions: Vec::new(),
        stages: Vec::new(),
        top: TopLevel::default(),
        context: Context::new(),
        diagnostics: Vec::new(),
    }
}

/// Generated stages share a template, so the same problem can be found once per
/// generated stage; report it once.
fn dedup_diagnostics(diagnostics: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::HashSet::new();
    diagnostics.retain(|diagnostic| {
        seen.insert((diagnostic.file.clone(), diagnostic.span, diagnostic.code))
    });
}

struct Loader<'a, 'f> {
    files: &'a ParsedFiles<'f>,
    source: Arc<str>,
    path: &'a str,
    dir: &'a str,
    config: ParsingConfig,
    diagnostics: Vec<Diagnostic>,
}

impl Loader<'_, '_> {
    fn load_top_vars(&mut self, root: &Node, context: &mut Context) {
        let vars_node = root.get("vars");
        let vars = match vars_node {
            Some(node) => self.vars_items(node, "vars"),
            None => Vec::new(),
        };
        if let Err(error) = context.load_vars(self.files, &vars, self.dir, None, true) {
            let span = vars_node.map(|node| node.span).unwrap_or_default();
            self.context_error(error, span, "'vars'");
        }
    }

    /// Reads a `vars` list, rejecting interpolation inside it as DVC does.
    fn vars_items(&mut self, node: &Node, place: &str) -> Vec<VarsItem> {
        let mut items = Vec::new();
        for item in node.as_list().unwrap_or_default() {
            if contains_interpolation(item) {
                self.diagnostics.push(Diagnostic::error(
                    self.path,
                    item.span,
                    "interpolation-in-vars",
                    format!("'${{...}}' is not allowed in '{place}'; vars are loaded before templating, so write the file name or value literally"),
                ));
                continue;
            }
            match &item.value {
                Value::Str(text) => items.push(VarsItem::File(text.clone(), item.span)),
                Value::Map(_) => items.push(VarsItem::Inline(item.clone())),
                _ => {}
            }
        }
        items
    }

    fn context_error(&mut self, error: ContextError, fallback: Span, place: &str) {
        let code = if error.message.starts_with("unable to read") {
            "params-syntax"
        } else if error.message.contains("does not exist") {
            "missing-vars-file"
        } else if error.message.contains("redefine") {
            "vars-redefinition"
        } else {
            "vars-error"
        };
        let (file, span) = match (error.file, error.span) {
            (Some(file), Some(span)) => (file, span),
            (None, Some(span)) if span != Span::default() => (self.path.to_string(), span),
            _ => (self.path.to_string(), fallback),
        };
        self.diagnostics.push(Diagnostic::error(
            file,
            span,
            code,
            format!(
                "failed to parse {place} in '{}': {}",
                self.path, error.message
            ),
        ));
    }

    fn load_stages(&mut self, root: &Node, context: &mut Context) -> (Vec<Definition>, Vec<Stage>) {
        let mut definitions = Vec::new();
        let mut stages = Vec::new();
        let Some(stages_map) = root.get("stages").and_then(Node::as_map) else {
            return (definitions, stages);
        };
        for (name, entry) in stages_map {
            let node = &entry.value;
            let Some(map) = node.as_map() else {
                definitions.push(Definition {
                    name: name.clone(),
                    kind: DefinitionKind::Plain,
                    name_span: entry.key_span,
                    span: node.span,
                    generated: Vec::new(),
                });
                continue;
            };
            let kind = if map.contains_key("matrix") {
                DefinitionKind::Matrix
            } else if map.contains_key("foreach") || map.contains_key("do") {
                DefinitionKind::Foreach
            } else {
                DefinitionKind::Plain
            };
            let generated = match kind {
                DefinitionKind::Plain => {
                    if self.check_template_syntax(name, map) {
                        self.resolve_stage(
                            name.clone(),
                            None,
                            node,
                            entry.key_span,
                            context,
                            &mut stages,
                        );
                    }
                    vec![name.clone()]
                }
                DefinitionKind::Foreach => {
                    self.load_foreach(name, map, entry.key_span, context, &mut stages)
                }
                DefinitionKind::Matrix => {
                    self.load_matrix(name, node, entry.key_span, context, &mut stages)
                }
            };
            definitions.push(Definition {
                name: name.clone(),
                kind,
                name_span: entry.key_span,
                span: node.span,
                generated,
            });
        }
        (definitions, stages)
    }

    /// Checks every `${...}` of a stage template parses; DVC does this once per
    /// definition before resolving anything.
    fn check_template_syntax(&mut self, name: &str, map: &Map) -> bool {
        let mut ok = true;
        for (key, entry) in map {
            let mut strings = Vec::new();
            collect_strings(&entry.value, &mut strings);
            for (text, span) in strings {
                if let Err(error) = interpolate::check_syntax(&text) {
                    ok = false;
                    let span = locate(&self.source_text(), span, &text, error.within);
                    self.diagnostics.push(Diagnostic::error(
                        self.path,
                        span,
                        "invalid-expression",
                        format!(
                            "failed to parse 'stages.{name}.{key}' in '{}': {}",
                            self.path, error.message
                        ),
                    ));
                }
            }
        }
        ok
    }

    fn source_text(&self) -> Arc<str> {
        self.source.clone()
    }

    fn load_foreach(
        &mut self,
        name: &str,
        map: &Map,
        name_span: Span,
        context: &mut Context,
        stages: &mut Vec<Stage>,
    ) -> Vec<String> {
        let (Some(data), Some(template)) = (map.get("foreach"), map.get("do")) else {
            return Vec::new();
        };
        let template = &template.value;
        let Some(template_map) = template.as_map() else {
            return Vec::new();
        };
        if !self.check_template_syntax(name, template_map) {
            return Vec::new();
        }
        let iterable = {
            let mut resolver = Resolver {
                context,
                field: None,
                config: self.config,
                tracked: None,
            };
            match resolver.resolve_keep_origin(&data.value) {
                Ok(iterable) => iterable,
                Err(error) => {
                    self.interpolation_error(
                        error,
                        &data.value,
                        &format!("'stages.{name}.foreach'"),
                        context,
                    );
                    return Vec::new();
                }
            }
        };
        let members: Vec<(String, CtxNode, bool)> = match &iterable.value {
            CtxValue::Map(map) => map
                .iter()
                .map(|(key, value)| (key.clone(), value.clone(), true))
                .collect(),
            CtxValue::List(items) => {
                let composite = items.iter().any(CtxNode::is_collection);
                let mut members: IndexMap<String, CtxNode> = IndexMap::new();
                for (index, item) in items.iter().enumerate() {
                    let key = if composite {
                        index.to_string()
                    } else {
                        scalar_key(item)
                    };
                    members.insert(key, item.clone());
                }
                members
                    .into_iter()
                    .map(|(key, value)| (key, value, false))
                    .collect()
            }
            CtxValue::Scalar(value) => {
                self.diagnostics.push(Diagnostic::error(
                    self.path,
                    data.value.span,
                    "foreach-not-iterable",
                    format!(
                        "failed to resolve 'stages.{name}.foreach' in '{}': expected list/dictionary, got {}",
                        self.path,
                        value.type_name()
                    ),
                ));
                return Vec::new();
            }
        };

        let iterates_map = matches!(iterable.value, CtxValue::Map(_));
        self.warn_overwritten(name, context, name_span, iterates_map);
        let mut generated = Vec::new();
        for (key, item, with_key) in members {
            let stage_name = format!("{name}@{key}");
            let mut reserved = vec![("item".to_string(), item)];
            if with_key {
                reserved.push((
                    "key".to_string(),
                    CtxNode::local(Value::Str(key.clone()), data.value.span),
                ));
            }
            let previous = context.set_reserved(reserved);
            self.resolve_stage(
                stage_name.clone(),
                Some(name),
                template,
                name_span,
                context,
                stages,
            );
            context.restore_reserved(previous);
            generated.push(stage_name);
        }
        generated
    }

    fn load_matrix(
        &mut self,
        name: &str,
        node: &Node,
        name_span: Span,
        context: &mut Context,
        stages: &mut Vec<Stage>,
    ) -> Vec<String> {
        let Some(map) = node.as_map() else {
            return Vec::new();
        };
        let Some(matrix) = map.get("matrix") else {
            return Vec::new();
        };
        let mut template_map = map.clone();
        template_map.shift_remove("matrix");
        if !self.check_template_syntax(name, &template_map) {
            return Vec::new();
        }
        let template = Node::new(Value::Map(template_map), node.span);

        let resolved = {
            let mut resolver = Resolver {
                context,
                field: None,
                config: self.config,
                tracked: None,
            };
            match resolver.resolve_keep_origin(&matrix.value) {
                Ok(resolved) => resolved,
                Err(error) => {
                    self.interpolation_error(
                        error,
                        &matrix.value,
                        &format!("'stages.{name}.matrix'"),
                        context,
                    );
                    return Vec::new();
                }
            }
        };
        let CtxValue::Map(axes) = &resolved.value else {
            return Vec::new();
        };
        // Each axis is iterated as Python iterates it: lists by item, mappings by
        // key and strings by character.
        let axes: Vec<(String, Vec<CtxNode>)> = axes
            .iter()
            .map(|(axis, values)| {
                let values = match &values.value {
                    CtxValue::List(items) => items.clone(),
                    CtxValue::Map(map) => map
                        .keys()
                        .map(|key| CtxNode::local(Value::Str(key.clone()), values.span))
                        .collect(),
                    CtxValue::Scalar(Value::Str(text)) => text
                        .chars()
                        .map(|ch| CtxNode::local(Value::Str(ch.to_string()), values.span))
                        .collect(),
                    CtxValue::Scalar(_) => Vec::new(),
                };
                (axis.clone(), values)
            })
            .collect();

        self.warn_overwritten(name, context, name_span, true);
        let mut members: IndexMap<String, IndexMap<String, CtxNode>> = IndexMap::new();
        let mut combination = vec![0usize; axes.len()];
        if axes.iter().all(|(_, values)| !values.is_empty()) {
            loop {
                let mut item = IndexMap::new();
                let mut fragments = Vec::new();
                for ((axis, values), index) in axes.iter().zip(&combination) {
                    let value = &values[*index];
                    fragments.push(if value.is_collection() {
                        format!("{axis}{index}")
                    } else {
                        scalar_key(value)
                    });
                    item.insert(axis.clone(), value.clone());
                }
                members.insert(fragments.join("-"), item);
                if !advance(&mut combination, &axes) {
                    break;
                }
            }
        }

        let mut generated = Vec::new();
        for (key, item) in members {
            let stage_name = format!("{name}@{key}");
            let item_node = CtxNode {
                value: CtxValue::Map(item),
                origin: None,
                span: matrix.value.span,
            };
            let reserved = vec![
                (
                    "key".to_string(),
                    CtxNode::local(Value::Str(key.clone()), matrix.value.span),
                ),
                ("item".to_string(), item_node),
            ];
            let previous = context.set_reserved(reserved);
            self.resolve_stage(
                stage_name.clone(),
                Some(name),
                &template,
                name_span,
                context,
                stages,
            );
            context.restore_reserved(previous);
            generated.push(stage_name);
        }
        generated
    }

    fn warn_overwritten(&mut self, name: &str, context: &Context, span: Span, with_key: bool) {
        let mut names = vec!["item"];
        if with_key {
            names.push("key");
        }
        let clashing: Vec<String> = names
            .into_iter()
            .filter(|key| context.contains(key))
            .map(str::to_string)
            .collect();
        if clashing.is_empty() {
            return;
        }
        let verb = if clashing.len() == 1 { "is" } else { "are" };
        self.diagnostics.push(Diagnostic::warning(
            self.path,
            span,
            "reserved-var",
            format!(
                "{} {verb} already specified in vars, and will be overwritten for stages generated from '{name}'; rename the variable",
                clashing.join(" and ")
            ),
        ));
    }

    /// Resolves one stage definition (or one generated member) and builds it.
    fn resolve_stage(
        &mut self,
        name: String,
        group: Option<&str>,
        definition: &Node,
        name_span: Span,
        context: &mut Context,
        stages: &mut Vec<Stage>,
    ) {
        let Some(map) = definition.as_map() else {
            return;
        };
        let stage_dir = match map.get("wdir") {
            Some(entry) => {
                let mut resolver = Resolver {
                    context,
                    field: Some("wdir"),
                    config: self.config,
                    tracked: None,
                };
                match resolver.resolve_node(&entry.value) {
                    Ok(resolved) => {
                        let text = match &resolved.value {
                            Value::Bool(flag) => if *flag { "true" } else { "false" }.to_string(),
                            other => pyfmt::python_str(other),
                        };
                        paths::join_normalized(self.dir, &text)
                            .unwrap_or_else(|| self.dir.to_string())
                    }
                    Err(error) => {
                        self.interpolation_error(
                            error,
                            &entry.value,
                            &format!("'stages.{name}.wdir'"),
                            context,
                        );
                        return;
                    }
                }
            }
            None => self.dir.to_string(),
        };

        // Stage vars load into a copy of the context, so they stay local.
        let mut local_context;
        let context: &Context = match map.get("vars") {
            Some(vars_entry)
                if vars_entry
                    .value
                    .as_list()
                    .is_some_and(|items| !items.is_empty()) =>
            {
                let place = format!("stages.{name}.vars");
                let vars = self.vars_items(&vars_entry.value, &place);
                local_context = context.clone();
                if let Err(error) =
                    local_context.load_vars(self.files, &vars, &stage_dir, Some(&name), false)
                {
                    self.context_error(error, vars_entry.value.span, &format!("'{place}'"));
                    return;
                }
                &local_context
            }
            _ => context,
        };

        let mut tracked = TrackedVars::new();
        let mut resolved = Map::new();
        for (key, entry) in map {
            if key == "vars" {
                continue;
            }
            let mut resolver = Resolver {
                context,
                field: Some(key),
                config: self.config,
                tracked: Some(&mut tracked),
            };
            match resolver.resolve_node(&entry.value) {
                Ok(value) => {
                    resolved.insert(
                        key.clone(),
                        crate::node::Entry {
                            key_span: entry.key_span,
                            value,
                        },
                    );
                }
                Err(error) => {
                    let place = format!("'stages.{name}.{key}'");
                    self.interpolation_error_in(error, &entry.value, &place, context, group);
                    return;
                }
            }
        }
        let resolved = Node::new(Value::Map(resolved), definition.span);
        let input = StageInput {
            name,
            group: group.map(str::to_string),
            dvcfile: self.path,
            dir: self.dir,
            resolved: &resolved,
            name_span,
            tracked_vars: tracked,
        };
        match build_stage(input) {
            Ok(stage) => stages.push(stage),
            Err(problems) => self.diagnostics.extend(problems),
        }
    }

    fn interpolation_error(
        &mut self,
        error: InterpolationError,
        node: &Node,
        place: &str,
        context: &Context,
    ) {
        self.interpolation_error_in(error, node, place, context, None);
    }

    /// Reports a failed `${...}` at the expression, with names that the
    /// misspelled variable may have meant.
    fn interpolation_error_in(
        &mut self,
        error: InterpolationError,
        node: &Node,
        place: &str,
        context: &Context,
        group: Option<&str>,
    ) {
        let text = self.source_text();
        let (string, string_span) =
            find_failing_string(node, &error).unwrap_or((String::new(), node.span));
        let span = locate(&text, string_span, &string, error.within);
        let mut message = format!(
            "failed to parse {place} in '{}': {}",
            self.path, error.message
        );
        let (code, hint) = match error.message.strip_prefix("Could not find '") {
            Some(rest) => {
                let missing = rest.trim_end_matches('\'');
                ("undefined-variable", self.undefined_hint(missing, context, group))
            }
            None if error.message.starts_with("Cannot interpolate") => (
                "interpolate-collection",
                Some("only strings, numbers and booleans can be interpolated here; select a single value such as ${a.b}".to_string()),
            ),
            None => ("invalid-expression", None),
        };
        if let Some(hint) = hint {
            message.push_str("; ");
            message.push_str(&hint);
        }
        self.diagnostics
            .push(Diagnostic::error(self.path, span, code, message));
    }

    fn undefined_hint(
        &self,
        missing: &str,
        context: &Context,
        group: Option<&str>,
    ) -> Option<String> {
        let first = missing.split('.').next().unwrap_or(missing).trim();
        if first == "key" && group.is_some() && !context.contains("key") {
            return Some("'${key}' exists only when foreach iterates over a mapping; this foreach iterates over a list, so use ${item}".to_string());
        }
        let (parent, last) = match missing.rsplit_once('.') {
            Some((parent, last)) => (Some(parent), last),
            None => (None, missing),
        };
        let candidates: Vec<String> = match parent {
            None => context.top_level().keys().cloned().collect(),
            Some(parent) => match context.select(parent, None).map(|node| &node.value) {
                Some(CtxValue::Map(map)) => map.keys().cloned().collect(),
                _ => Vec::new(),
            },
        };
        let closest = suggest::closest(last.trim(), candidates.iter().map(String::as_str), 3);
        if closest.is_empty() {
            Some("define it in params.yaml or under 'vars'".to_string())
        } else {
            let full: Vec<String> = closest
                .iter()
                .map(|name| match parent {
                    Some(parent) => format!("{parent}.{name}"),
                    None => name.clone(),
                })
                .collect();
            Some(format!("did you mean {}?", suggest::or_list(&full)))
        }
    }
}

fn contains_interpolation(node: &Node) -> bool {
    let mut strings = Vec::new();
    collect_strings(node, &mut strings);
    strings
        .iter()
        .any(|(text, _)| interpolate::has_interpolation(text))
}

/// Collects every string in a value tree, map keys included, with its span.
fn collect_strings(node: &Node, out: &mut Vec<(String, Span)>) {
    match &node.value {
        Value::Str(text) => out.push((text.clone(), node.span)),
        Value::List(items) => items.iter().for_each(|item| collect_strings(item, out)),
        Value::Map(map) => {
            for (key, entry) in map {
                out.push((key.clone(), entry.key_span));
                collect_strings(&entry.value, out);
            }
        }
        _ => {}
    }
}

/// Finds the string in `node` whose expression failed: the first string that
/// contains `${` at the reported offsets.
fn find_failing_string(node: &Node, error: &InterpolationError) -> Option<(String, Span)> {
    let mut strings = Vec::new();
    collect_strings(node, &mut strings);
    let (start, end) = error.within?;
    strings.into_iter().find(|(text, _)| {
        text.get(start..end)
            .is_some_and(|found| found.starts_with("${"))
    })
}

/// Narrows a string's span to the `${...}` at `within`, when the expression's
/// text can be found inside the span in the source.
fn locate(source: &str, span: Span, text: &str, within: Option<(usize, usize)>) -> Span {
    let Some((start, end)) = within else {
        return span;
    };
    let Some(expression) = text.get(start..end) else {
        return span;
    };
    let Some(region) = source.get(span.start..span.end) else {
        return span;
    };
    match region.find(expression) {
        Some(offset) => Span::new(span.start + offset, span.start + offset + expression.len()),
        None => span,
    }
}

/// The member key of a scalar foreach item or matrix value: DVC's `to_str`.
fn scalar_key(node: &CtxNode) -> String {
    match &node.value {
        CtxValue::Scalar(Value::Bool(flag)) => if *flag { "true" } else { "false" }.to_string(),
        CtxValue::Scalar(value) => pyfmt::python_str(value),
        _ => String::new(),
    }
}

/// Steps a mixed-radix counter over the matrix axes; returns false after the
/// last combination.
fn advance(combination: &mut [usize], axes: &[(String, Vec<CtxNode>)]) -> bool {
    for position in (0..combination.len()).rev() {
        combination[position] += 1;
        if combination[position] < axes[position].1.len() {
            return true;
        }
        combination[position] = 0;
    }
    false
}
