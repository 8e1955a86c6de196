"""Pictures: skeleton animations/strips, confusion matrices, training curves (matplotlib, imported lazily)."""
