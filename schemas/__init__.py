"""The JSON schemas of csvprep's reports, manifests, rule files and campaign settings, and
example files, shipped inside the package as ``csvprep.schemas`` (read them with
``csvprep schema NAME`` or :mod:`csvprep.resources`)."""
