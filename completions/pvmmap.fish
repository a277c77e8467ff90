# fish completion for pvmmap(1)
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Installed as $(DATADIR)/fish/vendor_completions.d/pvmmap.fish.
#   pvmmap maps PID [ADDR [LEN] | START-END] [--to PID2] [--for move|copy] [--json]
#   pvmmap move|copy PID ADDR LEN | START-END --to PID2 [options]
#   pvmmap clean PID [--json] [--timeout S] [-q]
#   pvmmap help [COMMAND]
#   pvmmap --help | -h | --usage | --version | -V ; pvmmap COMMAND --help | --usage
# -t is --to (src/main.c).

# True when the command (the first word after pvmmap) is one of $argv.
# __fish_seen_subcommand_from would also take the "move" of `maps --for move`
# or the "maps" of `help maps` for the command.
function __pvmmap_command_is
    set -l tokens (commandline -opc)
    set -q tokens[2]; and contains -- $tokens[2] $argv
end

# The operands (PID ADDR LEN) before the word being completed, one a line.
function __pvmmap_operands
    set -l tokens (commandline -opc)
    set -e tokens[1..2]
    set -l skip 0
    set -l dashdash 0
    for t in $tokens
        if test $skip -eq 1
            set skip 0
            continue
        end
        if test $dashdash -eq 0
            switch $t
                case --
                    set dashdash 1
                    continue
                case --to -t --for --at --timeout
                    set skip 1
                    continue
                case '-*'
                    continue
            end
        end
        printf '%s\n' $t
    end
end

# True when the word being completed is operand $argv[1] (1: PID, 2: ADDR)
# of one of the commands $argv[2..].
function __pvmmap_operand
    __pvmmap_command_is $argv[2..-1]; or return 1
    set -l ops (__pvmmap_operands)
    # START-END is ADDR and LEN in one word (src/main.c reads it so)
    if set -q ops[2]; and string match -qr '^[^-].*-' -- $ops[2]
        set -a ops -
    end
    test (count $ops) -eq (math $argv[1] - 1)
end

# The user processes, "PID<tab>command name".  Kernel threads have no memory
# of their own to list or move: the PF_KTHREAD flag (0x00200000, field 9 of
# /proc/PID/stat) tells them apart exactly, where an empty cmdline would also
# catch zombies and the processes that cleared theirs.  Zombies are left out
# too: their memory is already gone.  The completing shell stays: it is a
# process like any other.  cat reads the files, since fish itself warns on
# the terminal about a file that cannot be opened (a process that ended since
# the glob); a command name with a newline in it splits its line, which then
# does not match and is left out.
function __pvmmap_pids
    for l in (cat (string match -r '^/proc/\d+/stat$' -- /proc/*/stat) 2>/dev/null)
        # pid, command name (which may hold anything, ")" too), state, flags
        set -l f (string match -r -g '^(\d+) \((.*)\) (\S) (?:\S+ ){5}(\d+) ' -- $l); or continue
        contains -- $f[3] Z X; and continue
        test (math "bitand($f[4], 0x200000)") -eq 0; or continue
        printf '%s\t%s\n' $f[1] $f[2]
    end
end

# The VMAs of process $argv[2], from /proc/PID/maps, "ADDR<tab>name": their
# starts as 0x hex, the one form pvmmap cannot read as decimal.  $argv[1]:
# "range": after "START-", START-END with the ends (0x hex) of the VMA at
# START and of each VMA that follows it without a hole, for the START-END
# form of ADDR LEN (a range may span several VMAs); "at": --at's value, "any"
# too.  Nothing from /proc when $argv[2] is not a pid or its maps cannot be
# read (gone, another user's): cat, for fish would warn on the terminal.
function __pvmmap_addrs -a mode pid
    test "$mode" = at; and printf '%s\t%s\n' any 'The kernel chooses the address'
    string match -qr '^\d+$' -- $pid; or return 0
    set -l cur (commandline -ct)
    set -l start
    set -l from
    if test "$mode" = range; and set start (string match -r -g '^((?:0[xX])?[[:xdigit:]]+)-' -- $cur)
        # /proc prints no 0x, lower case, at least 8 digits: compare without them
        set from (string replace -r '^(0x)?0*' '' -- (string lower -- $start))
    end
    set -l on 0
    set -l last
    for l in (cat /proc/$pid/maps 2>/dev/null)
        set -l f (string match -r -g '^([0-9a-f]+)-([0-9a-f]+) +\S+ +\S+ +\S+ +\d+ *(.*)$' -- $l); or continue
        set -l name $f[3]
        test -n "$name"; or set name anon
        if test -z "$start"
            printf '0x%s\t%s\n' $f[1] $name
            continue
        end
        if test $on -eq 1
            test "$f[1]" = "$last"; or break
        else
            test (string replace -r '^0*' '' -- $f[1]) = "$from"; or continue
            set on 1
        end
        set last $f[2]
        printf '%s-0x%s\t%s\n' $start $f[2] "end of $name"
    end
end

# The value of --to (-t) on the command line: --at is an address in that process.
function __pvmmap_target
    set -l tokens (commandline -opc)
    set -l to
    for i in (seq (count $tokens))
        switch $tokens[$i]
            case --to -t
                set -q tokens[(math $i + 1)]; and set to $tokens[(math $i + 1)]
            case '--to=*'
                set to (string replace -- --to= '' $tokens[$i])
            case '-t*'
                set to (string sub -s 3 -- $tokens[$i])
        end
    end
    printf '%s\n' $to
end

complete -c pvmmap -f

# pvmmap COMMAND, or a global option
complete -c pvmmap -n __fish_use_subcommand -a maps -d 'List mappings, with what move or copy would do'
complete -c pvmmap -n __fish_use_subcommand -a move -d 'Move a range of mappings into another process'
complete -c pvmmap -n __fish_use_subcommand -a copy -d 'Copy a range of mappings into another process'
complete -c pvmmap -n __fish_use_subcommand -a clean -d 'Remove what a killed pvmmap left in a process'
complete -c pvmmap -n __fish_use_subcommand -a help -d 'Print the help of pvmmap or of a command'
complete -c pvmmap -n __fish_use_subcommand -s V -l version -d 'Print the version'
complete -c pvmmap -s h -l help -d 'Print the help'
complete -c pvmmap -l usage -d 'Print a short usage message'

# pvmmap help COMMAND
complete -c pvmmap -n '__pvmmap_operand 1 help' -a 'maps move copy clean'

# The source PID, and ADDR (or START-END) in it
complete -c pvmmap -n '__pvmmap_operand 1 maps move copy clean' -a '(__pvmmap_pids)'
complete -c pvmmap -n '__pvmmap_operand 2 maps move copy' -a '(__pvmmap_addrs range (__pvmmap_operands)[1])'

# Options of every command
complete -c pvmmap -n '__pvmmap_command_is maps move copy' -s t -l to -x -a '(__pvmmap_pids)' -d 'The target process'
complete -c pvmmap -n '__pvmmap_command_is maps move copy clean' -l json -d 'Print one JSON document on stdout'

# maps
complete -c pvmmap -n '__pvmmap_command_is maps' -l for -x -a 'move copy' -d 'Give the verdicts for this operation'

# move and copy
complete -c pvmmap -n '__pvmmap_command_is move copy' -l at -x -a '(__pvmmap_addrs at (__pvmmap_target))' -d 'Where the range starts in the target (ADDR2 or any)'
complete -c pvmmap -n '__pvmmap_command_is move copy' -l replace -d 'Replace what the target has mapped there'
complete -c pvmmap -n '__pvmmap_command_is move copy' -l partial -d 'Do what can be done, report the rest'
complete -c pvmmap -n '__pvmmap_command_is move copy' -s n -l dry-run -d 'Check and print the plan; change nothing'
complete -c pvmmap -n '__pvmmap_command_is move copy' -l timeout -x -d 'Longest wait for a process to stop (s)'
complete -c pvmmap -n '__pvmmap_command_is move copy' -l allow-cross-user -d 'Permit processes of different users'
complete -c pvmmap -n '__pvmmap_command_is move copy' -l force -d 'Move [heap] although the program may still use it'
complete -c pvmmap -n '__pvmmap_command_is move copy' -l frozen -d 'Keep the source stopped for the whole transfer'
complete -c pvmmap -n '__pvmmap_command_is move copy' -l progress -d 'Print a progress line on stderr'
complete -c pvmmap -n '__pvmmap_command_is move copy' -l no-progress -d 'Print no progress line'
complete -c pvmmap -n '__pvmmap_command_is move copy' -s q -l quiet -d 'Print nothing on success'

# clean
complete -c pvmmap -n '__pvmmap_command_is clean' -l timeout -x -d 'Longest wait for the process to stop (s)'
complete -c pvmmap -n '__pvmmap_command_is clean' -s q -l quiet -d 'Print nothing on success'
