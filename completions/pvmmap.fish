# fish completion for pvmmap(1)
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Installed as $(DATADIR)/fish/vendor_completions.d/pvmmap.fish.
#   pvmmap maps PID [ADDR [LEN]] [--to PID2] [--for move|copy] [--json]
#   pvmmap move|copy PID ADDR LEN --to PID2 [options]
#   pvmmap clean PID [--json] [--timeout S] [-q]
#   pvmmap --help | -h | --usage | --version ; pvmmap COMMAND --help | --usage
# -t is --to (src/main.c).

# True when the word being completed is the PID operand of a command: a
# command was given and no operand follows it yet.
function __pvmmap_needs_pid
    set -l tokens (commandline -opc)
    set -e tokens[1]
    test (count $tokens) -ge 1; or return 1
    contains -- $tokens[1] maps move copy clean; or return 1
    set -e tokens[1]
    set -l skip 0
    for t in $tokens
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $t
            case --to -t --for --at --timeout
                set skip 1
            case '-*'
            case '*'
                return 1
        end
    end
    return 0
end

complete -c pvmmap -f

# pvmmap COMMAND, or a global option
complete -c pvmmap -n __fish_use_subcommand -a maps -d 'List mappings, with what move or copy would do'
complete -c pvmmap -n __fish_use_subcommand -a move -d 'Move a range of mappings into another process'
complete -c pvmmap -n __fish_use_subcommand -a copy -d 'Copy a range of mappings into another process'
complete -c pvmmap -n __fish_use_subcommand -a clean -d 'Remove what a killed pvmmap left in a process'
complete -c pvmmap -n __fish_use_subcommand -l version -d 'Print the version'
complete -c pvmmap -s h -l help -d 'Print the help'
complete -c pvmmap -l usage -d 'Print a short usage message'

# The source PID
complete -c pvmmap -n __pvmmap_needs_pid -a '(__fish_complete_pids)'

# Options of every command
complete -c pvmmap -n '__fish_seen_subcommand_from maps move copy' -s t -l to -x -a '(__fish_complete_pids)' -d 'The target process'
complete -c pvmmap -n '__fish_seen_subcommand_from maps move copy clean' -l json -d 'Print one JSON document on stdout'

# maps
complete -c pvmmap -n '__fish_seen_subcommand_from maps' -l for -x -a 'move copy' -d 'Give the verdicts for this operation'

# move and copy
complete -c pvmmap -n '__fish_seen_subcommand_from move copy' -l at -x -a any -d 'Where the range starts in the target (ADDR2 or any)'
complete -c pvmmap -n '__fish_seen_subcommand_from move copy' -l replace -d 'Replace what the target has mapped there'
complete -c pvmmap -n '__fish_seen_subcommand_from move copy' -l partial -d 'Do what can be done, report the rest'
complete -c pvmmap -n '__fish_seen_subcommand_from move copy' -s n -l dry-run -d 'Check and print the plan; change nothing'
complete -c pvmmap -n '__fish_seen_subcommand_from move copy' -l timeout -x -d 'Longest wait for a process to stop (s)'
complete -c pvmmap -n '__fish_seen_subcommand_from move copy' -l allow-cross-user -d 'Permit processes of different users'
complete -c pvmmap -n '__fish_seen_subcommand_from move copy' -l force -d 'Move [heap] although the program may still use it'
complete -c pvmmap -n '__fish_seen_subcommand_from move copy' -l progress -d 'Print a progress line on stderr'
complete -c pvmmap -n '__fish_seen_subcommand_from move copy' -l no-progress -d 'Print no progress line'
complete -c pvmmap -n '__fish_seen_subcommand_from move copy' -s q -l quiet -d 'Print nothing on success'

# clean
complete -c pvmmap -n '__fish_seen_subcommand_from clean' -l timeout -x -d 'Longest wait for the process to stop (s)'
complete -c pvmmap -n '__fish_seen_subcommand_from clean' -s q -l quiet -d 'Print nothing on success'
