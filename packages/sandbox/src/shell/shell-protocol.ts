import { randomBytes } from 'node:crypto';
import { quoteForBashLine } from './encode-bash-line.ts';

/** A prompt printed by the shell: the command with this id finished with this exit code in this directory. */
export interface ShellMarker {
  /** Id of the last command line we sent (0 before the first); a stray prompt repeats it, and is then ignored. */
  commandId: number;
  exitCode: number;
  cwd: string;
  /** Where the marker starts and ends in the scanned text (the newline PS1 prints first is part of it). */
  index: number;
  length: number;
}

/** What the init script reports before the first prompt. */
export interface ShellStartNote {
  /** A saved state (cwd, exported environment) of an earlier shell was restored. */
  restored: boolean;
  /** Background jobs the earlier shell had; they are gone now. */
  lostJobs: number;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isValidEnvName(name: string): boolean {
  return ENV_NAME.test(name);
}

/** `export A=$'…' B=$'…'` for variables validated by `isValidEnvName`. */
export function exportStatement(vars: Record<string, string>): string {
  const parts = Object.entries(vars).map(([name, value]) => `${name}=${quoteForBashLine(value)}`);
  return parts.length === 0 ? '' : `export ${parts.join(' ')}`;
}

/**
 * The wire protocol between `BashSession` and bash: the prompt (PS1) is the end-of-command
 * marker and carries the command id, exit code and working directory. stdout and stderr share
 * the pty, so one marker ends both. A random nonce keeps command output from faking one.
 *
 * Whatever a command does to the prompt (`source ~/.bashrc`, a virtualenv's `activate`, setting
 * `PS1`, `PS0`, `PS2` or `PROMPT_COMMAND`, scalar or array), the marker survives: every command
 * line ends by putting our prompt command back (what the command had put in `PROMPT_COMMAND` is
 * kept and run, silently, before each prompt), and our prompt command sets `PS1` anew each time.
 * Both run with stderr (and so `set -x` traces) sent to /dev/null.
 */
export class ShellProtocol {
  readonly nonce: string;
  private readonly start: string;
  private readonly end: string;
  private readonly note: string;
  private readonly markerPattern: RegExp;
  private readonly notePattern: RegExp;

  constructor(nonce: string = randomBytes(6).toString('hex')) {
    this.nonce = nonce;
    this.start = `__METIS_${nonce}__`;
    this.end = `__METIS_${nonce}_END__`;
    this.note = `__METIS_${nonce}_NOTE__`;
    // `\r\n` when a command turned the terminal's `onlcr` back on (`stty sane`).
    this.markerPattern = new RegExp(`(?:\\r?\\n)?${this.start} (\\d+) (\\d+) ([^]*?) ${this.end}\\r?\\n`);
    this.notePattern = new RegExp(`${this.note} restored=(\\d) lost_jobs=(\\d+)`);
  }

  /** Environment for the shell process: the init script travels in `__METIS_INIT`. */
  initEnv(workdir: string): Record<string, string> {
    return { __METIS_INIT: this.initScript(), __METIS_WORKDIR: workdir };
  }

  /** The first line written to a fresh shell; everything before the first marker is discarded. */
  initLine(): string {
    return 'eval "$__METIS_INIT"\n';
  }

  /**
   * A command line that reports `id` in its marker. `prelude` runs first (exports queued by
   * `setEnv`), with stderr, and so `set -x` traces of secrets, sent to /dev/null. After the command, our prompt command is put back (see the class comment) and
   * the command's status is kept for the marker; that step itself always succeeds, so a status
   * `set -e` ignores (`! true`, `false && x`) does not end the shell.
   */
  commandLine(id: number, command: string, prelude = ''): string {
    const head = prelude ? `${prelude};` : '';
    return `{ ${head}__metis_id=${id} __metis_st=;} 2>/dev/null;eval ${quoteForBashLine(command)};{ __metis_claim "$?";} 2>/dev/null\n`;
  }

  findMarker(text: string): ShellMarker | null {
    const match = this.markerPattern.exec(text);
    if (!match) return null;
    return {
      commandId: Number(match[1]),
      exitCode: Number(match[2]),
      cwd: match[3] ?? '',
      index: match.index,
      length: match[0].length,
    };
  }

  /**
   * How many characters at the end of `text` must wait for more data because they could be
   * the beginning of a marker: a started marker, or a prefix of its opening token at the start
   * of a line. The newline PS1 prints first is never held back (a marker matches without it),
   * so output is not delayed by a trailing newline.
   */
  holdBackLength(text: string): number {
    const started = text.lastIndexOf(this.start);
    if (started !== -1) {
      const end = text.indexOf(this.end, started);
      const after = end === -1 ? '' : text.slice(end + this.end.length, end + this.end.length + 2);
      if (!after.startsWith('\n') && after !== '\r\n') return text.length - started;
    }
    for (let n = Math.min(this.start.length - 1, text.length); n > 0; n--) {
      const from = text.length - n;
      if ((from === 0 || text[from - 1] === '\n') && this.start.startsWith(text.slice(from))) return n;
    }
    return 0;
  }

  parseStartNote(text: string): ShellStartNote {
    const match = this.notePattern.exec(text);
    return { restored: match?.[1] === '1', lostJobs: match ? Number(match[2]) : 0 };
  }

  private initScript(): string {
    // The status saved after the command line, else (C-c stopped the line before) what bash saw.
    const ps1 = `\\n${this.start} \${__metis_id} \${__metis_st:-$?} \${PWD} ${this.end}\\n`;
    return `unset __METIS_INIT
stty -echo -onlcr cols 200 rows 50 2>/dev/null
set +o history
unset HISTFILE PROMPT_COMMAND
__metis_state="\${HOME:-/tmp}/.metisai/shell-state"
if ! { mkdir -p -m 700 -- "\${__metis_state%/*}" && [[ -w \${__metis_state%/*} ]]; } 2>/dev/null; then
  __metis_state="/tmp/.metisai-shell-$UID/shell-state"
  mkdir -p -m 700 -- "\${__metis_state%/*}" 2>/dev/null
fi
# The session to end after a reconnect: ours from /proc (a pty helper may have made it), else our pid.
__metis_sid=$$
if { read -r __metis_line </proc/$$/stat; } 2>/dev/null; then
  read -r -a __metis_f <<<"\${__metis_line##*) }"
  __metis_sid=\${__metis_f[3]:-$$}
  unset __metis_line __metis_f
fi
__metis_save() {
  { printf '__metis_prev_sid=%s\\n__metis_prev_cwd=%q\\n' "$__metis_sid" "$PWD"; export -p; } 2>/dev/null >"$__metis_state"
  jobs -p 2>/dev/null >"$__metis_state.jobs"
}
__metis_kill_session() {
  local sid=$1 p pid line rest f e
  for p in /proc/[0-9]*; do
    pid=\${p#/proc/}
    [[ $pid == "$$" || $pid == 1 ]] && continue
    { read -r line <"$p/stat"; } 2>/dev/null || continue
    rest=\${line##*) }
    read -r -a f <<<"$rest"
    [[ \${f[3]} == "$sid" ]] || continue
    e=()
    { mapfile -t -d '' e <"$p/environ"; } 2>/dev/null
    [[ " \${e[*]} " == *" METISAI_SANDBOX_ID=$METISAI_SANDBOX_ID "* ]] || continue
    kill -9 "$pid" 2>/dev/null
  done
}
__metis_prev_sid= __metis_prev_cwd= __metis_restored=0 __metis_lost_jobs=0
if [[ -r $__metis_state ]]; then
  . "$__metis_state" 2>/dev/null
  __metis_restored=1
  if [[ -r $__metis_state.jobs ]]; then
    mapfile -t __metis_jobs <"$__metis_state.jobs"
    __metis_lost_jobs=\${#__metis_jobs[@]}
    unset __metis_jobs
  fi
  if [[ -n $__metis_prev_sid && $__metis_prev_sid != "$__metis_sid" ]]; then __metis_kill_session "$__metis_prev_sid"; fi
fi
cd -- "\${__metis_prev_cwd:-$__METIS_WORKDIR}" 2>/dev/null || cd -- "$__METIS_WORKDIR" 2>/dev/null
unset __METIS_WORKDIR
printf '\\n%s restored=%s lost_jobs=%s\\n' ${this.note} "$__metis_restored" "$__metis_lost_jobs"
unset __metis_prev_sid __metis_prev_cwd __metis_restored __metis_lost_jobs
__metis_id=0 __metis_st= __metis_user_pc=
__metis_ours='{ __metis_prompt "$?";} 2>/dev/null'
__metis_wrap='{ __metis_user_prompt "$?";} </dev/null >/dev/null 2>&1'
# bash 5.1+ runs each element of an array PROMPT_COMMAND: ours is the second, so a command's
# PROMPT_COMMAND=… (which sets element 0) cannot remove it, even when C-c stops the command line
# before it puts PROMPT_COMMAND back. Element 0 runs what commands added, silently.
if (( BASH_VERSINFO[0] > 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] >= 1) )); then
  __metis_pcs=("$__metis_wrap" "$__metis_ours")
else
  __metis_pcs=("$__metis_ours")
fi
__metis_ret() { return "$1"; }
# Puts our PROMPT_COMMAND back. What a command put there (scalar or array elements) is kept in
# __metis_user_pc, where "$PROMPT_COMMAND" inside it means what was there before
# (PROMPT_COMMAND="x; $PROMPT_COMMAND" adds x). $1, when given, is the command's status.
__metis_claim() {
  local e cur=() pcs=()
  if [[ -n \${1-} ]]; then __metis_st=$1; fi
  cur=(\${PROMPT_COMMAND[@]+"\${PROMPT_COMMAND[@]}"})
  if [[ \${#cur[@]} -ne \${#__metis_pcs[@]} || \${cur[0]-} != "\${__metis_pcs[0]}" || \${cur[1]-} != "\${__metis_pcs[1]-}" ]]; then
    for e in \${cur[@]+"\${cur[@]}"}; do
      if [[ $e == "$__metis_ours" ]]; then continue; fi
      e=\${e//"\${__metis_pcs[0]}"/"$__metis_user_pc"}
      if [[ -n $e ]]; then pcs+=("$e"); fi
    done
    __metis_user_pc=
    for e in \${pcs[@]+"\${pcs[@]}"}; do __metis_user_pc+="\${__metis_user_pc:+$'\\n'}$e"; done
    unset PROMPT_COMMAND
    PROMPT_COMMAND=("\${__metis_pcs[@]}")
  fi
  return 0
}
__metis_user_prompt() {
  if [[ -z $__metis_user_pc ]]; then return 0; fi
  __metis_ret "$1"
  eval "$__metis_user_pc"
}
__metis_prompt() {
  __metis_claim
  if (( \${#__metis_pcs[@]} == 1 )); then __metis_user_prompt "$1" </dev/null >/dev/null 2>&1 || :; fi
  shopt -s promptvars
  PS1='${ps1}' PS2= PS0=
  __metis_save
  return 0
}
unset PROMPT_COMMAND
PROMPT_COMMAND=("\${__metis_pcs[@]}")
PS1='${ps1}' PS2= PS0=
`;
  }
}
