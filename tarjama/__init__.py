"""tarjama: Arabic news items to reviewed French and English versions.

The domain package works without Prefect: ingest, segmentation, machine
translation, PO catalogs and status. The Prefect flows in ``flows/`` wrap it.
"""

__version__ = "0.1.0"
