//! The tracing subscriber: logs to stderr, summaries and data to stdout.
//!
//! By default only warnings and errors are logged, as `warning: ...` lines the way cargo
//! prints them; `-v` adds INFO, `-vv` DEBUG, `-vvv` TRACE (with timestamps), and `RUST_LOG`
//! overrides the level. The long-running commands (`serve`, `schedule`) log INFO by default:
//! their log is what an operator reads. Colour only when stderr is a terminal and `NO_COLOR`
//! is unset or empty.

use std::fmt;
use std::io::{IsTerminal, Write};

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Stderr that lifts the progress bars while a log line is written, so neither tears the other.
struct BelowTheBars;

impl Write for BelowTheBars {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        crate::progress::suspend(|| std::io::stderr().write_all(bytes))?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// How much the user asked to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verbosity {
    /// `-v` given this many times.
    pub verbose: u8,
    /// `-q`: errors only.
    pub quiet: bool,
    /// The command runs until stopped (a server, a scheduler): INFO is its default.
    pub daemon: bool,
}

impl Verbosity {
    /// The `EnvFilter` directives for these flags (`RUST_LOG` wins over them).
    pub fn directives(self) -> &'static str {
        match (self.quiet, self.verbose, self.daemon) {
            (true, _, _) => "error",
            (false, 0, false) => "warn",
            (false, 0, true) | (false, 1, _) => "warn,custseg=info",
            (false, 2, _) => "info,custseg=debug",
            (false, _, _) => "debug,custseg=trace",
        }
    }
}

/// Whether text written to a stream that `is_terminal` may carry ANSI colour, given the value
/// of `NO_COLOR` (<https://no-color.org>: any non-empty value turns colour off).
pub fn colour_allowed(is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    is_terminal && no_color.is_none_or(|value| value.is_empty())
}

/// `warning: message key=value`: what a person reads at the default verbosity.
struct Plain {
    colour: bool,
}

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let (label, ansi) = match *event.metadata().level() {
            Level::ERROR => ("error", "1;31"),
            Level::WARN => ("warning", "1;33"),
            Level::INFO => ("info", "1;32"),
            Level::DEBUG => ("debug", "1;34"),
            Level::TRACE => ("trace", "1;35"),
        };
        if self.colour {
            write!(writer, "\x1b[{ansi}m{label}\x1b[0m: ")?;
        } else {
            write!(writer, "{label}: ")?;
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Installs the subscriber.
pub fn init(verbosity: Verbosity) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(verbosity.directives()));
    let colour = colour_allowed(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| BelowTheBars)
        .with_ansi(colour)
        .with_target(false);
    if verbosity.verbose >= 2 {
        builder.compact().init();
    } else {
        builder.event_format(Plain { colour }).init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_shows_warnings_and_a_server_its_info() {
        let plain = Verbosity {
            verbose: 0,
            quiet: false,
            daemon: false,
        };
        assert_eq!(plain.directives(), "warn");
        assert_eq!(
            Verbosity {
                daemon: true,
                ..plain
            }
            .directives(),
            "warn,custseg=info"
        );
        assert_eq!(
            Verbosity {
                verbose: 1,
                ..plain
            }
            .directives(),
            "warn,custseg=info"
        );
        assert_eq!(
            Verbosity {
                quiet: true,
                verbose: 2,
                daemon: true
            }
            .directives(),
            "error"
        );
    }

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        use std::ffi::OsStr;
        assert!(colour_allowed(true, None));
        assert!(colour_allowed(true, Some(OsStr::new(""))));
        assert!(!colour_allowed(true, Some(OsStr::new("1"))));
        assert!(!colour_allowed(false, None));
    }
}
