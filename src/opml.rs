//! OPML import (to `[[sources]]` TOML) and export.
