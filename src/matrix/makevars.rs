//! Which make variables a matrix may set, and with which values. kbuild puts a variable's
//! value into its recipes, and make runs recipes with the shell: a value is text for a shell
//! whatever kcross does (escaping `$` for make would only hand `$(...)` to that shell). So
//! the variable must be one of kbuild's documented user variables
//! (Documentation/kbuild/kbuild.rst, kbuild's Makefile) and its value plain text: letters,
//! digits, space and `_-=+.,/:@%`. No quotes, `$`, backticks, `;`, `|`, `&`, `<`, `>`,
//! parentheses, globs, `~` or backslashes: such a value is refused at its file:line:col.

use crate::error::{Error, Result};

/// Variables kcross itself sets for every cell (from the arch and the toolchain, or the
/// build dir): a matrix may not set them.
const OWNED: &[&str] = &[
    "O",
    "ARCH",
    "CROSS_COMPILE",
    "LLVM",
    "KBUILD_OUTPUT",
    "SRCARCH",
];

/// kbuild's user variables a matrix may set. Left out on purpose: install destinations
/// (INSTALL_*_PATH, MODLIB: kcross installs nothing), external modules (M, KBUILD_EXTMOD,
/// KBUILD_EXTRA_SYMBOLS), KBUILD_KCONFIG and KCONFIG_CONFIG (kcross owns the configuration),
/// KBUILD_SIGN_PIN (a secret has no place in a matrix).
const ALLOWED: &[&str] = &[
    // flags (kbuild.rst)
    "KCPPFLAGS",
    "KAFLAGS",
    "KCFLAGS",
    "KRUSTFLAGS",
    "AFLAGS_MODULE",
    "AFLAGS_KERNEL",
    "CFLAGS_KERNEL",
    "CFLAGS_MODULE",
    "RUSTFLAGS_KERNEL",
    "RUSTFLAGS_MODULE",
    "LDFLAGS_MODULE",
    "HOSTCFLAGS",
    "HOSTCXXFLAGS",
    "HOSTRUSTFLAGS",
    "HOSTLDFLAGS",
    "HOSTLDLIBS",
    "USERCFLAGS",
    "USERLDFLAGS",
    // behaviour and reproducibility
    "W",
    "C",
    "V",
    "CF",
    "CHECK",
    "CHECKFLAGS",
    "LOCALVERSION",
    "KBUILD_VERBOSE",
    "KBUILD_EXTRA_WARN",
    "KBUILD_ABS_SRCTREE",
    "KBUILD_MODPOST_WARN",
    "KBUILD_MODPOST_NOFINAL",
    "KBUILD_BUILD_TIMESTAMP",
    "KBUILD_BUILD_USER",
    "KBUILD_BUILD_HOST",
    "KBUILD_BUILD_VERSION",
    // tools (the top Makefile's)
    "CC",
    "HOSTCC",
    "HOSTCXX",
    "LD",
    "HOSTLD",
    "AS",
    "AR",
    "HOSTAR",
    "NM",
    "OBJCOPY",
    "OBJDUMP",
    "READELF",
    "STRIP",
    "LLVM_IAS",
    "PAHOLE",
    "RUSTC",
    "HOSTRUSTC",
    "BINDGEN",
];

fn plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || " _-=+.,/:@%".contains(c)
}

/// Check one `VAR=value` of a matrix's `make_args`; `at` is its file:line:col.
pub fn check_make_arg(arg: &str, at: &str) -> Result<()> {
    let Some((var, value)) = arg.split_once('=') else {
        return Err(Error::input(
            at,
            format!("make_args entry `{arg}` is not VAR=value"),
        ));
    };
    if var.is_empty()
        || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        || var.chars().next().is_some_and(|c| c.is_ascii_digit())
    {
        return Err(Error::input(
            at,
            format!("`{var}` is not a make variable name"),
        ));
    }
    if OWNED.contains(&var) {
        return Err(Error::input(
            at,
            format!("make_args may not set {var}: kcross sets it from the arch and toolchain"),
        ));
    }
    if !ALLOWED.contains(&var) {
        return Err(Error::input(
            at,
            format!(
                "make_args may not set {var}: not one of kbuild's user variables that a matrix may set ({})",
                ALLOWED.join(", ")
            ),
        ));
    }
    if let Some(bad) = value.chars().find(|c| !plain(*c)) {
        return Err(Error::input(
            at,
            format!(
                "make_args {var}: `{}` is not allowed in a value (kbuild hands values to the shell; only letters, digits, space and _-=+.,/:@% are)",
                bad.escape_default()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_make_arg;

    #[test]
    fn kbuild_variables_with_plain_values_pass_and_the_rest_is_refused() {
        for ok in [
            "KCFLAGS=-Wshadow -Wno-error=shadow",
            "W=1",
            "CC=/usr/lib/ccache/gcc",
            "KBUILD_BUILD_TIMESTAMP=Thu Jan  1 00:00:00 UTC 1970",
            "LOCALVERSION=-kcross",
            "KCFLAGS=",
        ] {
            assert!(check_make_arg(ok, "m.toml:3:1").is_ok(), "{ok}");
        }
        for (bad, says) in [
            ("KCFLAGS=$(shell rm -rf ~)", "`$` is not allowed"),
            ("KCFLAGS=`touch /tmp/x`", "``` is not allowed"),
            ("KCFLAGS=-O2;touch /tmp/x", "`;` is not allowed"),
            ("KCFLAGS=-DX=\"y\"", "`\\\"` is not allowed"),
            ("INSTALL_MOD_PATH=/", "not one of kbuild's"),
            ("MAKEFLAGS=-j99", "not one of kbuild's"),
            ("ARCH=arm", "kcross sets it"),
            ("O=/tmp", "kcross sets it"),
            ("-j8", "not VAR=value"),
        ] {
            let e = check_make_arg(bad, "m.toml:3:1").unwrap_err().to_string();
            assert!(e.starts_with("m.toml:3:1: "), "{e}");
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
