"""Train the classifiers behind gm.metrics.fid / classifier_accuracy /
class_histogram, reproducibly, and write them into genmodels/data/.

    python scripts/train_feature_nets.py

MLP 784-128-64-10, Adam 1e-3, batch 128, 8 epochs, seed 0, on the full
training set; prints the test accuracy (recorded in the README)."""
import os

import numpy as np

import genmodels as gm
from genmodels.metrics.features import build_feature_net

OUT = os.path.join(os.path.dirname(__file__), "..", "genmodels", "data")


def train(ds, seed=0, epochs=8):
    net = build_feature_net(seed)
    opt = gm.nn.Adam(net, lr=1e-3)
    x = ds.x_train.reshape(len(ds.x_train), -1)

    def step(batch, epoch, step):
        xb, yb = batch
        net.zero_grad()
        loss, grad = gm.nn.losses.cross_entropy(net(xb, training=True), yb)
        net.backward(grad)
        gm.nn.check_finite({"loss": loss}, net.gradients())
        opt.step()
        return {"loss": loss}

    gm.nn.Trainer(net, step, epochs=epochs, batch_size=128, seed=seed, verbose=2).fit((x, ds.y_train))
    logits = net(ds.x_test.reshape(len(ds.x_test), -1), training=False)
    return net.eval(), float(np.mean(logits.argmax(1) == ds.y_test))


def main():
    for name, loader in (("mnist", gm.datasets.load_mnist), ("fashion", gm.datasets.load_fashion_mnist)):
        net, accuracy = train(loader())
        path = os.path.abspath(os.path.join(OUT, f"features_{name}.gm"))
        gm.save(net, path)
        print(f"{name}: test accuracy {accuracy:.4f} -> {path}")


if __name__ == "__main__":
    main()
