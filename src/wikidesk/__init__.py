"""wikidesk: extractive answers from a research-computing centre's wiki, lexical and local."""

__version__ = "0.1.0"
