// Intentionally empty: the target only exports CFuzzDriver.h to Swift.
