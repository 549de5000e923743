#!/bin/sh
# Copy the team's evaluation kit into eval/kit/ (make kit): the scorer run_eval.py, the dev set over
# the seeds, XQuAD-nl's dev half and the news-archive generator. The repository reads them only there.
# $1: the kit's folder (EVAL_KIT; default ../shared, beside the repository). Without it this says so and
# stops quietly: make evaluate then explains what is missing, make train fits on our own sets, and the
# archive tests are skipped.
set -eu
kit="${1:-../shared}"
dest=eval/kit
if [ ! -f "$kit/eval/run_eval.py" ]; then
    echo "note: no evaluation kit at $kit (EVAL_KIT=DIR: a folder with eval/run_eval.py, eval/dev.jsonl," \
         "eval/xquad-nl/ and tools/gen-news-corpus.py); make evaluate and the archive tests need it" >&2
    exit 0
fi
mkdir -p "$dest"
cp "$kit/eval/run_eval.py" "$kit/eval/dev.jsonl" "$dest/"
rm -rf "$dest/xquad-nl" && cp -r "$kit/eval/xquad-nl" "$dest/xquad-nl"
if [ -f "$kit/tools/gen-news-corpus.py" ]; then cp "$kit/tools/gen-news-corpus.py" "$dest/"; fi
echo "evaluation kit copied from $kit into $dest"
