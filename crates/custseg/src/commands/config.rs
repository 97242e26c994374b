use anyhow::Result;

use crate::cli::ConfigCommand;
use crate::settings::Settings;

/// `custseg config show`: the effective settings as TOML, on stdout.
pub fn run(command: &ConfigCommand, settings: &Settings) -> Result<()> {
    match command {
        ConfigCommand::Show => {
            print!("{}", toml::to_string_pretty(settings)?);
            Ok(())
        }
    }
}
