"""How every command's --help is worded."""

from __future__ import annotations

import argparse


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's help ends in one wording, "(default: X)": X is the value when the option has one;
    an option whose default is decided at run time (the preset's, the device's) says so in its own help
    in the same words, and an option without a default (off, or required) says nothing."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "(default:" in text or action.default in (None, False, argparse.SUPPRESS) or not action.option_strings:
            return text
        return text + " (default: %(default)s)"
