//! `custseg cluster scheduler|executor`: Ballista's own processes, embedded.

use anyhow::{Context, Result};

use crate::cli::ClusterCommand;

/// Runs `custseg cluster ...` until the process is stopped (SIGTERM or Ctrl-C).
pub fn run(command: &ClusterCommand) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Ballista's planner recurses deeply on large plans.
        .thread_stack_size(32 << 20)
        .build()?;
    runtime.block_on(async {
        let work = async {
            match command {
                ClusterCommand::Scheduler(args) => {
                    println!("scheduler  listening on {}", args.bind);
                    custseg_cluster::run_scheduler(
                        args.bind,
                        custseg_cluster::SchedulerOptions {
                            executor_timeout_seconds: args.executor_timeout,
                            expire_check_seconds: args.expire_check,
                        },
                    )
                    .await
                }
                ClusterCommand::Executor(args) => {
                    let (host, port) = args.scheduler.rsplit_once(':').with_context(|| {
                        format!("`--scheduler {}`: expected host:port", args.scheduler)
                    })?;
                    let port: u16 = port
                        .parse()
                        .with_context(|| format!("`--scheduler {}`: bad port", args.scheduler))?;
                    let memory_limit = args
                        .memory_limit
                        .as_deref()
                        .map(crate::settings::parse_bytes)
                        .transpose()?;
                    println!("executor   {} joining {}", args.bind, args.scheduler);
                    custseg_cluster::run_executor(custseg_cluster::ExecutorOptions {
                        scheduler_host: host.to_owned(),
                        scheduler_port: port,
                        bind: args.bind,
                        grpc_port: args.grpc_port.unwrap_or(args.bind.port().wrapping_add(1)),
                        concurrency: args.concurrency,
                        work_dir: args.work_dir.clone(),
                        scheduler_connect_timeout_seconds: args.connect_timeout,
                        heartbeat_seconds: args.heartbeat,
                        memory_limit,
                        health_bind: args
                            .health_port
                            .map(|port| std::net::SocketAddr::new(args.bind.ip(), port)),
                    })
                    .await
                }
            }
            .map_err(anyhow::Error::from)
        };
        tokio::select! {
            result = work => result,
            _ = super::serve::shutdown_signal() => Ok(()),
        }
    })
}
