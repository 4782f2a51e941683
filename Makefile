# MLH: the build's entry points. `make test` is what CI runs (through .ci/run).
MVN ?= mvn -B -ntp
FASHION_MNIST := /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz

.PHONY: test build data clean

## test: all unit and real-data tests (installs Fashion-MNIST first if missing)
test: data
	$(MVN) test

## build: compile and package the modules without running tests
build:
	$(MVN) -DskipTests package

## data: the real datasets the tests use (Debian package, see ../shared/datasets/README.md)
data: $(FASHION_MNIST)

$(FASHION_MNIST):
	apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist

clean:
	$(MVN) -q clean
