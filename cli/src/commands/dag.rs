//! `retort dag`: the stage graph as text, Graphviz dot or Mermaid.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use retort_engine::dag::Dag;
use retort_engine::pipeline::Stage;

use crate::context::load_project;

#[derive(clap::Args)]
pub struct Args {
    /// Print the graph in Graphviz dot format.
    #[arg(long, conflicts_with = "mermaid")]
    dot: bool,

    /// Print the graph as a Mermaid flowchart.
    #[arg(long, alias = "md")]
    mermaid: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let loaded = load_project()?;
    let stages: Vec<&Stage> = loaded.project.stages().collect();
    let dag = Dag::from_stages(&stages);
    let mut out = std::io::stdout().lock();

    if args.dot {
        writeln!(out, "strict digraph {{")?;
        for stage in &stages {
            writeln!(out, "\t\"{}\";", escape(&stage.addressing()))?;
        }
        for (index, upstream) in dag.upstream.iter().enumerate() {
            for &from in upstream {
                writeln!(
                    out,
                    "\t\"{}\" -> \"{}\";",
                    escape(&stages[from].addressing()),
                    escape(&stages[index].addressing())
                )?;
            }
        }
        writeln!(out, "}}")?;
    } else if args.mermaid {
        writeln!(out, "flowchart TD")?;
        for (index, stage) in stages.iter().enumerate() {
            writeln!(out, "\tnode{index}[\"{}\"]", escape(&stage.addressing()))?;
        }
        for (index, upstream) in dag.upstream.iter().enumerate() {
            for &from in upstream {
                writeln!(out, "\tnode{from}-->node{index}")?;
            }
        }
    } else {
        // Stages in run order, each with the stages it reads from.
        for index in dag.topological_order() {
            let stage = stages[index];
            let inputs: Vec<String> = dag.upstream[index]
                .iter()
                .map(|&from| stages[from].addressing())
                .collect();
            if inputs.is_empty() {
                writeln!(out, "{}", stage.addressing())?;
            } else {
                writeln!(out, "{} <- {}", stage.addressing(), inputs.join(", "))?;
            }
        }
        let cycles = dag.cycles();
        for cycle in cycles {
            let names: Vec<String> = cycle
                .iter()
                .map(|&index| stages[index].addressing())
                .collect();
            eprintln!("warning: stages {} form a cycle", names.join(", "));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn escape(text: &str) -> String {
    text.replace('"', "\\\"")
}
