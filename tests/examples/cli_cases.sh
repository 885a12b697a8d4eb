#!/usr/bin/env bash
# Every option of an example's --help, exercised, and its bad values refused:
#   cli_cases.sh EXAMPLE PROGRAM
# runs the cases below for EXAMPLE through check_cli.sh (cheap: a few hundred images, an epoch
# or two), then fails if the --help of PROGRAM lists an option or positional argument that no
# case used.
set -uo pipefail
example=$1 program=$2
check="bash $(dirname "$0")/check_cli.sh"
failures=0
used=" "
note() {  # remembers the options and positionals a case exercised
  for arg in "$@"; do
    case $arg in --*) used+="${arg%%=*} " ;; esac
  done
}
ok() {  # ok PATTERN ARGS...: exit 0 with PATTERN in stdout or the created files
  local pattern=$1
  shift
  note "$@"
  $check expect 0 "$pattern" "$program" "$@" || failures=$((failures + 1))
}
status() {  # status N PATTERN ARGS...
  local n=$1 pattern=$2
  shift 2
  note "$@"
  $check expect "$n" "$pattern" "$program" "$@" || failures=$((failures + 1))
}
bad() {  # bad ARGS...: exit 2, one line on stderr naming the first option
  note "$@"
  $check bad "$program" "$@" || failures=$((failures + 1))
}
bad_positional() {  # bad_positional NAME ARGS...
  local name=$1
  shift
  $check bad-named "$name" "$program" "$@" || failures=$((failures + 1))
}
positional() { used+="$1 "; }

$check help "$program" || failures=$((failures + 1))
used+="--help "
bad --no-such-option

tiny=(--limit 300 --epochs 1)
case $example in
  fashion_mnist)
    ok '210 train / 90 validation / 300 test' "${tiny[@]}" --out o
    ok 'epoch   2/2' --limit 200 --epochs 2 --out o
    ok 'batch 50,' "${tiny[@]}" --batch 50 --out o
    ok '150 train / 150 validation' "${tiny[@]}" --val-split 0.5 --out o
    ok '300 train / 0 validation' "${tiny[@]}" --val-split 0 --out o
    ok 'run with seed 7:' "${tiny[@]}" --seed 7 --out o
    ok '2 run\(s\)' "${tiny[@]}" --runs 2 --seed 3 --out o
    ok 'o/seed4/checkpoint/0.weight.npy' "${tiny[@]}" --runs 2 --seed 3 --out o
    ok 'model relu' "${tiny[@]}" --model relu --out o
    ok 'model sigmoid' "${tiny[@]}" --model sigmoid --out o
    ok 'model cnn' "${tiny[@]}" --model cnn --out o
    ok '\(None, 32, 28, 28\)' "${tiny[@]}" --model cnn --out o
    ok 'no augmentation' "${tiny[@]}" --model cnn --out o
    ok 'random shifts and mirror images' "${tiny[@]}" --model cnn --augment --out o
    ok '270 train / 30 validation' "${tiny[@]}" --model cnn --out o
    ok 'o/checkpoint/1.running_mean.npy' "${tiny[@]}" --model cnn --out o
    ok 'dropout 0.2,' "${tiny[@]}" --dropout 0.2 --out o
    ok 'dropout 0,' "${tiny[@]}" --dropout 0 --out o
    ok 'learning rate x0.5 per epoch' "${tiny[@]}" --lr-gamma 0.5 --out o
    ok '\[0, 1\] pixels' "${tiny[@]}" --no-standardize --out o
    ok 'loaded Fashion-MNIST from /usr/share/datasets/fashion-mnist' "${tiny[@]}" \
      --data /usr/share/datasets/fashion-mnist --out o
    ok 'elsewhere/log.csv' "${tiny[@]}" --out elsewhere
    ok 'mean' "${tiny[@]}" --min-accuracy 0 --out o
    status 1 'FAILED' "${tiny[@]}" --min-accuracy 1 --out o
    for opt in --epochs --batch --runs; do
      bad "$opt" abc
      bad "$opt" 0
      bad "$opt" -3
      bad "$opt" 2.5
    done
    bad --epochs
    bad --batch 99999999999999999999999
    for value in 1 1.5 -0.1 abc; do bad --val-split "$value"; done
    for value in 1 -0.5 abc; do bad --dropout "$value"; done
    for value in 0 -1 abc inf; do bad --lr-gamma "$value"; done
    for value in 1.5 -0.1 abc; do bad --min-accuracy "$value"; done
    bad --seed abc
    bad --seed -1
    bad --limit abc
    bad --limit -5
    bad --model tanh
    bad --lr-gamma 0.5 --model cnn
    bad --data /no/such/directory
    bad --runs 0 --min-accuracy 0.99
    ;;
  regression)
    positional max-epochs
    status 1 'Total params: 121' 1  # one epoch: R² below the example's 0.98 gate
    status 1 'regression_best/0.weight.npy' 1
    bad_positional max-epochs ten
    bad_positional max-epochs 0
    bad_positional max-epochs -4
    bad_positional max-epochs 1.5
    ;;
  chain_rule_walkthrough)
    positional output-dir
    ok 'pictures/trace.jsonl' pictures
    ok '-dash/ice_cream_bias.dot' -- -dash
    ok 'chain_rule_out/trace.jsonl'
    bad_positional b a b
    ;;
  graph_networks)
    g=(--seeds 1 --epochs 5 --sbm-nodes 300)
    ok 'karate club: 34 members, 78 friendships' "${g[@]}"
    ok 'mean over 2 seed\(s\)' --seeds 2 --epochs 5 --sbm-nodes 300
    ok 'block model: 300 nodes' "${g[@]}" --karate "$(dirname "$0")/../../examples/data/karate_club.txt"
    ok 'block model: 600 nodes' --seeds 1 --epochs 5 --sbm-nodes 600
    ok '8 features with noise 0.50, 15 labelled nodes' "${g[@]}" --sbm-features 8 --noise 0.5 \
      --sbm-labelled 5
    ok 'GCN:' "${g[@]}" --hidden 4 --lr 0.05 --threads 1 --seed 3 --p-in 0.05 --p-out 0.01
    ok 'the messages add' --seeds 1 --epochs 40 --sbm-nodes 300 --min-karate 1 --min-margin 0.001 \
      --p-in 0.2
    status 1 'GCN:' "${g[@]}" --min-karate 100.5
    for opt in --seeds --epochs --hidden --sbm-nodes --sbm-labelled --sbm-features --threads; do
      bad "$opt" 0
      bad "$opt" abc
    done
    for value in 1.5 -0.1 abc; do bad --p-in "$value"; bad --p-out "$value"; done
    for value in 0 -1 abc; do
      bad --noise "$value"
      bad --lr "$value"
      bad --min-karate "$value"
      bad --min-margin "$value"
    done
    bad --seed -1
    bad --karate /no/such/file
    ;;
  char_lm)
    c=(--limit 300 --epochs 1 --hidden 16 --embed 8 --batch 8 --seq 16 --samples 2 --threads 1)
    ok 'words: 300 training' "${c[@]}"
    ok 'LSTM\(8, 16, layers 2\)' "${c[@]}" --layers 2
    ok 'GRU\(8, 16' "${c[@]}" --model gru
    ok 'TransformerEncoderLayer\(16, 4 heads' "${c[@]}" --model transformer
    ok 'LSTM\(8, 16' "${c[@]}" --model lstm --words /usr/share/dict/american-english --seed 4
    ok 'epoch 2:' --limit 300 --epochs 2 --hidden 16 --samples 0 --lr 0.01 --clip 0.5 --valid 0.2
    ok '2 of 2 are new words|1 of 2 are new words|0 of 2 are new words' "${c[@]}" --max-bpc 100
    status 1 'validation:' "${c[@]}" --max-bpc 0.01
    status 1 'validation:' "${c[@]}" --beat-trigram
    for opt in --embed --hidden --layers --seq --batch --epochs --threads; do
      bad "$opt" 0
      bad "$opt" abc
    done
    for value in 0 -1 abc; do bad --lr "$value"; bad --clip "$value"; bad --max-bpc "$value"; done
    for value in 1 -0.1 abc; do bad --valid "$value"; done
    bad --limit -3
    bad --samples abc
    bad --seed -1
    bad --model rnn
    bad --words /no/such/file
    bad --hidden 30 --model transformer
    ;;
  adding_problem)
    a=(--length 6 --steps 20 --report 10 --hidden 8 --batch 8)
    ok 'T = 6, rnn cell, 8 hidden units' "${a[@]}"
    ok 'T = 6, lstm cell' "${a[@]}" --cell lstm
    ok 'T = 5, rnn cell' --length 5 7 --steps 20 --report 10 --hidden 8 --cell rnn
    ok 'T = 7, rnn cell' --length 5 7 --steps 20 --report 10 --hidden 8 --cell rnn
    ok 'test MSE' "${a[@]}" --lr 0.001 --clip 0.5 --threads 2 --seed 3 --forget-bias 1 --cell lstm
    ok 'T = 6 lstm' "${a[@]}" --cell lstm --max-mse 100
    ok 'norms.csv' "${a[@]}" --norms norms.csv
    status 1 'T = 6 lstm' "${a[@]}" --cell lstm --max-mse 0.000001
    for opt in --length --hidden --batch --steps --report --threads; do
      bad "$opt" 0
      bad "$opt" abc
    done
    for value in 0 -1 abc; do bad --lr "$value"; bad --clip "$value"; bad --max-mse "$value"; done
    bad --forget-bias abc
    bad --cell gru
    bad --seed -1
    ;;
  *) ;;  # --help and an unknown option only
esac

# Coverage: every option and positional the --help lists was used above.
help=$("$program" --help)
listed=$(echo "$help" | grep -oE -- '--[a-z][a-z-]*' | sort -u)
# A positional's line starts with two spaces and its name (continuation lines are deeper).
listed+=" $(echo "$help" | sed -n '/^Positionals:/,/^$/p' | awk '/^  [^ ]/ { print $1 }')"
for item in $listed; do
  case $used in
    *" $item "*) ;;
    *) echo "cli_cases: $example: '$item' is in --help but no case uses it"
       failures=$((failures + 1)) ;;
  esac
done
if [ "$failures" -ne 0 ]; then
  echo "cli_cases: $example: $failures failure(s)"
  exit 1
fi
echo "cli_cases: $example: all cases ok"
