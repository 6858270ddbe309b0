#!/usr/bin/env bash
# make install DESTDIR=...: the installed telem finds its installed shim,
# runs a build with it, and `telem env` prints the line for a CI image.
. "$(dirname "$0")/../lib.sh"

dest=$(new_dir)
make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/usr/local >/dev/null 2>&1
ok "make install succeeds" test -x "$dest/usr/local/bin/telem"
ok "the shim is installed" test -f "$dest/usr/local/lib/telem/libtelem.so"
ok "the man pages are installed" test -f "$dest/usr/local/share/man/man1/telem.1" -o -f "$dest/usr/local/share/man/man1/telem.1.gz"

export TELEM_DIR=$(new_dir)
env_out=$("$dest/usr/local/bin/telem" env)
ok "telem env names the installed shim" grep -qF "shim:     $dest/usr/local/\$LIB/telem/libtelem.so" <<<"$env_out"
ok "telem env prints the LD_PRELOAD line" grep -qF "export LD_PRELOAD='$dest/usr/local/\$LIB/telem/libtelem.so'" <<<"$env_out"

"$dest/usr/local/bin/telem" run --json -- sh -c 'true' >"$TELEM_DIR/run.json" 2>/dev/null
ok "the installed telem run counts through the installed shim" python3 -c "
import json,sys; s=json.load(open('$TELEM_DIR/run.json')); sys.exit(0 if s['processes']>=1 else 1)"

# bash completion (installed) and make uninstall
comp=$dest/usr/local/share/bash-completion/completions/telem
ok "the bash completion is installed" test -f "$comp"
complete_words() { # WORDS...: what completing the last word offers
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _telem; printf "%s\n" "${COMPREPLY[@]}"' _ "$comp" "$@"
}
is "$(complete_words telem su | tr '\n' ' ')" "summary " "completion: a command from its start"
is "$(complete_words telem --dir /tmp cr | tr '\n' ' ')" "crashes " "completion: past --dir DIR"
is "$(complete_words telem upload --n | tr '\n' ' ')" "--now " "completion: a command's options"
make -s -C "$ROOT" uninstall DESTDIR="$dest" PREFIX=/usr/local >/dev/null 2>&1
is "$(find "$dest" -type f | wc -l)" 0 "make uninstall removes every file make install put there"

done_testing
