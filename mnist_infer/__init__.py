"""mnist-infer: the networks of *Deep Learning from Scratch* (chapters 3–8) as a library and a command-line tool.

The library, by room::

    from mnist_infer.data import load_split, load_mnist, images_to_inputs
    from mnist_infer.weights import load_network
    from mnist_infer.inference import classify_images, evaluate

    x, t = load_split("test")                      # the MNIST test set (it ships with the package)
    network = load_network()                       # the book's sample_weight.pkl, read without pickle.load
    accuracy = (network.predict(images_to_inputs(x)) == t).mean()   # 0.9352
    deep = load_network("deep_convnet_params.pkl")                   # chapter 8's DeepConvNet: 0.9935

``model`` holds the layers and the network built from an architecture, ``training`` the book's learning, ``views``
and ``cli`` the command line, ``serve`` the page. Importing this package imports nothing else (the command line's
``--help`` stays quick).
"""

__version__ = "0.2.0"
