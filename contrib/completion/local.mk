# SPDX-License-Identifier: ISC
# Shell completion for p2pctl, installed where bash-completion and zsh look.
bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = contrib/completion/bash/p2pctl
zshcompletiondir = $(datadir)/zsh/site-functions
dist_zshcompletion_DATA = contrib/completion/zsh/_p2pctl
TESTS += tests/integration/completion.sh
EXTRA_DIST += tests/integration/completion.sh
