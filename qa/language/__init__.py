"""Stages 2 to 5: language. Sentences with offsets, index terms, English to Dutch translation, the
words a dictionary lacks, and every word list, pattern and span finder, each in one place."""
