"""The notebook face of nbconnect: ``%connect`` magics, widgets and rich display.

This is the only part of the package that imports IPython and ipywidgets; the core
(``nbconnect.model``, ``nbconnect.spec.importer``, ``nbconnect.package``) never does.
"""
