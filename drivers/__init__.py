"""Hardware drivers: cameras and serial sensors. They know devices and bytes, nothing of the pipeline."""
