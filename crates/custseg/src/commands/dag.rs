//! `custseg dag`: the pipeline's stages and the files between them.

use anyhow::Result;

use super::run::pipeline_request;
use crate::cli::DagArgs;
use crate::settings::Settings;
use custseg_pipeline::graph as pipeline;

/// Runs `custseg dag`.
pub fn run(args: &DagArgs, settings: Settings) -> Result<()> {
    let request = pipeline_request(&args.run, settings, true, false)?;
    let dag = pipeline::build(&request, None)?;
    if args.dot {
        print!("{}", custseg_dag::to_dot(&dag));
    } else if args.json {
        println!("{:#}", custseg_dag::to_json(&dag));
    } else {
        print!("{}", custseg_dag::to_text(&dag));
    }
    Ok(())
}
