"""Tests of the storage layer, on SpatiaLite and PostGIS."""
