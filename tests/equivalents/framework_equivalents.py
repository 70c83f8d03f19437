"""Correct solutions of project 2 (the framework), written the way students write them."""

from equivalent import Equivalent, File, Function, Statement

LINEAR_STANDARD_NORMAL = '''
    """The fully connected layer: weights from N(0, 1), the input kept in an attribute."""

    import torch

    from .module import Module


    class Linear(Module):
        """y = x W^T + b, with W of shape (out_features, in_features) and b (out_features,)."""

        def __init__(self, in_features, out_features, bias=True, dtype=torch.float32):
            super().__init__()
            self.in_features = in_features
            self.out_features = out_features
            self.weight = torch.randn(out_features, in_features, dtype=dtype)
            self.weight_grad = torch.zeros(out_features, in_features, dtype=dtype)
            if bias:
                self.bias = torch.randn(out_features, dtype=dtype)
                self.bias_grad = torch.zeros(out_features, dtype=dtype)
            else:
                self.bias = None
                self.bias_grad = None
            self.input = None

        def forward(self, x):
            self.input = x
            output = x.mm(self.weight.t())
            if self.bias is not None:
                output += self.bias
            return output

        def backward(self, grad_output):
            self.weight_grad.add_(grad_output.t().mm(self.input))
            if self.bias is not None:
                self.bias_grad.add_(grad_output.sum(0))
            return grad_output.mm(self.weight)

        def param(self):
            if self.bias is None:
                return [(self.weight, self.weight_grad)]
            return [(self.weight, self.weight_grad), (self.bias, self.bias_grad)]

        def arguments(self):
            return {
                "in_features": self.in_features,
                "out_features": self.out_features,
                "bias": self.bias is not None,
                "dtype": self.weight.dtype,
            }

        def state_dict(self):
            if self.bias is None:
                return {"weight": self.weight}
            return {"weight": self.weight, "bias": self.bias}

        def extra_repr(self):
            return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
'''

LINEAR_TRANSPOSED_STORAGE = '''
    """The fully connected layer, its weight stored as (in_features, out_features).

    ``weight`` and ``weight_grad`` are (out_features, in_features) views, through ``.t()``,
    of tensors stored the other way round: forward computes x @ w with no transpose.
    """

    import math

    import torch

    from .module import Module


    class Linear(Module):
        """y = x W^T + b; W is the transposed view of the stored (in, out) matrix."""

        def __init__(self, in_features, out_features, bias=True, *, dtype=torch.float32):
            super().__init__()
            self.in_features = in_features
            self.out_features = out_features
            bound = 1 / math.sqrt(in_features)
            self.w_in_out = torch.empty(in_features, out_features, dtype=dtype).uniform_(-bound, bound)
            self.w_in_out_grad = torch.zeros(in_features, out_features, dtype=dtype)
            self.weight = self.w_in_out.t()
            self.weight_grad = self.w_in_out_grad.t()
            self.bias = torch.empty(out_features, dtype=dtype).uniform_(-bound, bound) if bias else None
            self.bias_grad = torch.zeros(out_features, dtype=dtype) if bias else None

        def forward(self, x):
            self.save_for_backward(x)
            y = x @ self.w_in_out
            if self.bias is not None:
                y = y + self.bias
            return y

        def backward(self, grad_output):
            (x,) = self.pop_saved()
            self.w_in_out_grad += x.t() @ grad_output
            if self.bias is not None:
                self.bias_grad += grad_output.sum(0)
            return grad_output @ self.w_in_out.t()

        def param(self):
            pairs = [(self.weight, self.weight_grad)]
            if self.bias is not None:
                pairs.append((self.bias, self.bias_grad))
            return pairs

        def arguments(self):
            return {
                "in_features": self.in_features,
                "out_features": self.out_features,
                "bias": self.bias is not None,
                "dtype": self.weight.dtype,
            }

        def state_dict(self):
            state = {"weight": self.weight}
            if self.bias is not None:
                state["bias"] = self.bias
            return state

        def extra_repr(self):
            return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
'''

LINEAR_HANDOUT_EMPTY = '''
    """The fully connected layer, importing only torch.empty as the course handout asks."""

    import math

    from torch import empty

    from .module import Module


    class Linear(Module):
        """y = x W^T + b; param() gives [weight, gradient] lists."""

        def __init__(self, in_features, out_features, bias=True, dtype=None):
            super().__init__()
            self.in_features = in_features
            self.out_features = out_features
            k = 1 / math.sqrt(in_features)
            self.weight = empty(out_features, in_features, dtype=dtype).uniform_(-k, k)
            self.weight_grad = empty(out_features, in_features, dtype=dtype).zero_()
            self.use_bias = bias
            if bias:
                self.bias = empty(out_features, dtype=dtype).uniform_(-k, k)
                self.bias_grad = empty(out_features, dtype=dtype).zero_()
            else:
                self.bias = self.bias_grad = None

        def forward(self, x):
            self.x = x
            s = x.matmul(self.weight.t())
            if self.use_bias:
                s = s + self.bias
            return s

        def backward(self, grad_output):
            self.weight_grad += grad_output.t().matmul(self.x)
            if self.use_bias:
                self.bias_grad += grad_output.sum(0)
            return grad_output.matmul(self.weight)

        def param(self):
            if self.use_bias:
                return [[self.weight, self.weight_grad], [self.bias, self.bias_grad]]
            return [[self.weight, self.weight_grad]]

        def arguments(self):
            return {
                "in_features": self.in_features,
                "out_features": self.out_features,
                "bias": self.use_bias,
                "dtype": self.weight.dtype,
            }

        def state_dict(self):
            return {"weight": self.weight, "bias": self.bias} if self.use_bias else {"weight": self.weight}
'''

LINEAR = (
    Equivalent(
        "linear_he_init",
        "Linear: He initialisation, N(0, 2 / in_features), and a zero bias",
        (
            Function(
                "framework/linear.py",
                "Linear.reset_parameters",
                """
                def reset_parameters(self):
                    fan_in = self.weight.shape[1]
                    self.weight.normal_(0.0, (2.0 / fan_in) ** 0.5)
                    if self.bias is not None:
                        self.bias.zero_()
                """,
            ),
        ),
    ),
    Equivalent(
        "linear_xavier_init",
        "Linear: Xavier (Glorot) uniform initialisation, drawn with torch.rand and copied in",
        (
            Function(
                "framework/linear.py",
                "Linear.reset_parameters",
                """
                def reset_parameters(self):
                    fan_out, fan_in = self.weight.shape
                    bound = (6.0 / (fan_in + fan_out)) ** 0.5
                    self.weight.copy_((torch.rand(fan_out, fan_in, dtype=self.weight.dtype) * 2 - 1) * bound)
                    if self.bias is not None:
                        self.bias.fill_(0.0)
                """,
            ),
        ),
    ),
    Equivalent(
        "linear_student_file",
        "Linear as a whole student file: N(0, 1) weights and bias, the input kept in self.input, "
        "forward with mm and an in-place bias add, backward with add_",
        (File("framework/linear.py", LINEAR_STANDARD_NORMAL),),
    ),
    Equivalent(
        "linear_transposed_storage",
        "Linear storing its weight as (in, out): weight and weight_grad are non-contiguous .t() views",
        (File("framework/linear.py", LINEAR_TRANSPOSED_STORAGE),),
    ),
    Equivalent(
        "linear_handout_empty",
        "Linear importing only torch.empty (`from torch import empty`, as the course handout asks), "
        "dtype=None for the default dtype, the input in self.x, param() as [parameter, gradient] lists",
        (File("framework/linear.py", LINEAR_HANDOUT_EMPTY),),
    ),
    Equivalent(
        "linear_mm_explicit_bias",
        "Linear forward with torch.mm and the bias expanded over the batch; backward computes each "
        "gradient, then adds it with add_",
        (
            Function(
                "framework/linear.py",
                "Linear.forward",
                """
                def forward(self, x):
                    self.save_for_backward(x)
                    output = torch.mm(x, self.weight.t())
                    if self.bias is not None:
                        output = output + self.bias.unsqueeze(0).expand(x.shape[0], -1)
                    return output
                """,
            ),
            Function(
                "framework/linear.py",
                "Linear.backward",
                """
                def backward(self, grad_output):
                    (x,) = self.pop_saved()
                    grad_weight = torch.mm(grad_output.t(), x)
                    self.weight_grad.add_(grad_weight)
                    if self.bias is not None:
                        grad_bias = grad_output.sum(dim=0)
                        self.bias_grad.add_(grad_bias)
                    return torch.mm(grad_output, self.weight)
                """,
            ),
        ),
    ),
    Equivalent(
        "linear_einsum",
        "Linear forward and backward with torch.einsum, the input kept in self.input, the weight "
        "gradient accumulated with copy_(old + new)",
        (
            Function(
                "framework/linear.py",
                "Linear.forward",
                """
                def forward(self, x):
                    self.input = x
                    y = torch.einsum("ni,oi->no", x, self.weight)
                    return y if self.bias is None else y + self.bias
                """,
            ),
            Function(
                "framework/linear.py",
                "Linear.backward",
                """
                def backward(self, grad_output):
                    x = self.input
                    self.weight_grad.copy_(self.weight_grad + torch.einsum("no,ni->oi", grad_output, x))
                    if self.bias is not None:
                        self.bias_grad += torch.einsum("no->o", grad_output)
                    return torch.einsum("no,oi->ni", grad_output, self.weight)
                """,
            ),
        ),
    ),
)

ACTIVATIONS = (
    Equivalent(
        "activations_formulas",
        "ReLU as s * (s > 0) with the input kept in an attribute; tanh as 1 - 2 / (exp(2s) + 1); "
        "sigmoid as 1 / (1 + exp(-s)), which gives 0 without NaN where exp(-s) overflows",
        (
            Function(
                "framework/activations.py",
                "ReLU.forward",
                """
                def forward(self, s):
                    self.s = s
                    return s * (s > 0)
                """,
            ),
            Function(
                "framework/activations.py",
                "ReLU.backward",
                """
                def backward(self, grad_output):
                    return grad_output * (self.s > 0)
                """,
            ),
            Function(
                "framework/activations.py",
                "Tanh.forward",
                """
                def forward(self, s):
                    self.y = 1 - 2 / (torch.exp(2 * s) + 1)
                    return self.y
                """,
            ),
            Function(
                "framework/activations.py",
                "Tanh.backward",
                """
                def backward(self, grad_output):
                    return grad_output * (1 - self.y**2)
                """,
            ),
            Function(
                "framework/activations.py",
                "Sigmoid.forward",
                """
                def forward(self, s):
                    self.y = 1 / (1 + torch.exp(-s))
                    return self.y
                """,
            ),
            Function(
                "framework/activations.py",
                "Sigmoid.backward",
                """
                def backward(self, grad_output):
                    return grad_output * self.y * (1 - self.y)
                """,
            ),
        ),
    ),
    Equivalent(
        "activations_torch_functions",
        "ReLU with torch.maximum and a torch.where backward; tanh and sigmoid with torch.tanh and "
        "torch.sigmoid, their derivatives recomputed from the saved input; NoActivation returning copies",
        (
            Function(
                "framework/activations.py",
                "ReLU.forward",
                """
                def forward(self, s):
                    self.save_for_backward(s)
                    return torch.maximum(s, torch.zeros_like(s))
                """,
            ),
            Function(
                "framework/activations.py",
                "ReLU.backward",
                """
                def backward(self, grad_output):
                    (s,) = self.pop_saved()
                    return torch.where(s > 0, grad_output, torch.zeros_like(grad_output))
                """,
            ),
            Function(
                "framework/activations.py",
                "Tanh.forward",
                """
                def forward(self, s):
                    self.save_for_backward(s)
                    return torch.tanh(s)
                """,
            ),
            Function(
                "framework/activations.py",
                "Tanh.backward",
                """
                def backward(self, grad_output):
                    (s,) = self.pop_saved()
                    return grad_output * (1 - torch.tanh(s).pow(2))
                """,
            ),
            Function(
                "framework/activations.py",
                "Sigmoid.forward",
                """
                def forward(self, s):
                    self.save_for_backward(s)
                    return torch.sigmoid(s)
                """,
            ),
            Function(
                "framework/activations.py",
                "Sigmoid.backward",
                """
                def backward(self, grad_output):
                    (s,) = self.pop_saved()
                    sigma = torch.sigmoid(s)
                    return grad_output * sigma * (1 - sigma)
                """,
            ),
            Function(
                "framework/activations.py",
                "NoActivation.forward",
                """
                def forward(self, s):
                    return s.clone()
                """,
            ),
            Function(
                "framework/activations.py",
                "NoActivation.backward",
                """
                def backward(self, grad_output):
                    return grad_output.clone()
                """,
            ),
        ),
    ),
    Equivalent(
        "activations_in_place_masks",
        "ReLU zeroes a copy's negative entries and the incoming gradient's, in place, by boolean indexing; "
        "Tanh multiplies the incoming gradient in place (mul_); Sigmoid fills each sign's entries with its "
        "own stable formula",
        (
            Function(
                "framework/activations.py",
                "ReLU.forward",
                """
                def forward(self, s):
                    self.negative = s <= 0
                    y = s.clone()
                    y[self.negative] = 0
                    return y
                """,
            ),
            Function(
                "framework/activations.py",
                "ReLU.backward",
                """
                def backward(self, grad_output):
                    grad_output[self.negative] = 0
                    return grad_output
                """,
            ),
            Function(
                "framework/activations.py",
                "Tanh.backward",
                """
                def backward(self, grad_output):
                    (y,) = self.pop_saved()
                    return grad_output.mul_(1 - y.pow(2))
                """,
            ),
            Function(
                "framework/activations.py",
                "Sigmoid.forward",
                """
                def forward(self, s):
                    y = torch.empty_like(s)
                    positive = s >= 0
                    y[positive] = 1 / (1 + torch.exp(-s[positive]))
                    e = torch.exp(s[~positive])
                    y[~positive] = e / (1 + e)
                    self.save_for_backward(y)
                    return y
                """,
            ),
        ),
    ),
)

LOSS = (
    Equivalent(
        "mse_stores_prediction_and_target",
        "MSELoss keeps the prediction and the target in attributes; the mean as a sum over numel()",
        (
            Function(
                "framework/loss.py",
                "MSELoss.forward",
                """
                def forward(self, prediction, target):
                    self.prediction = prediction
                    self.target = target
                    return ((prediction - target) ** 2).sum() / prediction.numel()
                """,
            ),
            Function(
                "framework/loss.py",
                "MSELoss.backward",
                """
                def backward(self):
                    return 2 * (self.prediction - self.target) / self.prediction.numel()
                """,
            ),
        ),
    ),
    Equivalent(
        "mse_mean_of_row_means",
        "MSELoss as the mean over the batch of each row's mean, the gradient divided by N * D from the shape",
        (
            Function(
                "framework/loss.py",
                "MSELoss.forward",
                """
                def forward(self, prediction, target):
                    error = prediction - target
                    self.save_for_backward(error)
                    return torch.mean(torch.mean(torch.pow(error, 2), dim=1))
                """,
            ),
            Function(
                "framework/loss.py",
                "MSELoss.backward",
                """
                def backward(self):
                    (error,) = self.pop_saved()
                    n, d = error.shape
                    return error.mul(2).div(n * d)
                """,
            ),
        ),
    ),
    Equivalent(
        "mse_gradient_in_forward",
        "MSELoss computes its gradient in forward and keeps it; backward returns it",
        (
            Function(
                "framework/loss.py",
                "MSELoss.forward",
                """
                def forward(self, prediction, target):
                    difference = prediction - target
                    self.gradient = 2 * difference / difference.numel()
                    return (difference * difference).mean()
                """,
            ),
            Function(
                "framework/loss.py",
                "MSELoss.backward",
                """
                def backward(self):
                    return self.gradient
                """,
            ),
        ),
    ),
)

SGD_OWN_LISTS = '''
    """Stochastic gradient descent with momentum."""

    import torch


    class SGD:
        """SGD with momentum, the velocity holding the learning rate: v = mu v + lr g, p = p - v.

        At a constant learning rate this is PyTorch's v = mu v + g, p = p - lr v.
        """

        def __init__(self, parameters, lr, momentum=0.0):
            self.lr = lr
            self.momentum = momentum
            self.params = []
            self.grads = []
            self.velocities = []
            for parameter, grad in parameters:
                if any(parameter is known for known in self.params):
                    continue  # a layer used twice: update its parameter once
                self.params.append(parameter)
                self.grads.append(grad)
                self.velocities.append(torch.zeros_like(parameter))

        def step(self):
            for parameter, grad, velocity in zip(self.params, self.grads, self.velocities):
                velocity.mul_(self.momentum).add_(self.lr * grad)
                parameter.sub_(velocity)

        def zero_grad(self):
            for grad in self.grads:
                grad.zero_()
'''

SGD = (
    Equivalent(
        "sgd_own_lists",
        "SGD keeps its own lists of parameters, gradients and velocities, and writes v = mu v + lr g; p -= v",
        (File("framework/optim.py", SGD_OWN_LISTS),),
    ),
    Equivalent(
        "sgd_in_place_forms",
        "SGD.step under @torch.no_grad(): without momentum p -= lr * g; with momentum v.copy_(mu * v + g) "
        "and p[...] = p - lr * v",
        (
            Function(
                "framework/optim.py",
                "SGD.step",
                """
                @torch.no_grad()
                def step(self):
                    for (parameter, grad), velocity in zip(self.parameters, self.velocities):
                        if self.momentum == 0:
                            parameter -= self.lr * grad
                        else:
                            velocity.copy_(self.momentum * velocity + grad)
                            parameter[...] = parameter - self.lr * velocity
                """,
            ),
        ),
    ),
)

ACCURACY_MEAN_ITEM = """
    def accuracy(model, inputs, targets, batch_size=None):
        if batch_size is None:
            batch_size = len(inputs)
        was_training = model.training
        model.eval()
        predictions = []
        with set_grad_enabled(False):
            for batch in inputs.split(batch_size):
                output = model(batch)
                if output.shape[1] == 1:
                    predictions.append((output[:, 0] > 0.5).long())
                else:
                    predictions.append(output.argmax(dim=1))
        model.train(was_training)
        predicted = torch.cat(predictions)
        if targets.dim() == 2:
            targets = (targets[:, 0] > 0.5).long() if targets.shape[1] == 1 else targets.argmax(dim=1)
        return (predicted == targets).float().mean().item()
"""

TRAIN_EPOCH_SPLIT = """
    def train_epoch(model, criterion, optimizer, inputs, targets, *, batch_size, accumulate=1, generator=None):
        model.train()
        batches = torch.randperm(len(inputs), generator=generator).split(batch_size)
        total = 0.0
        for i, batch in enumerate(batches):
            output = model(inputs[batch])
            loss = criterion(output, targets[batch])
            total += loss.item() * len(batch)
            model.backward(criterion.backward())
            if (i + 1) % accumulate == 0 or i == len(batches) - 1:
                optimizer.step()
                model.zero_grad()  # the same tensors as the optimizer's
        return total / len(inputs)
"""

TRAIN_EPOCH_INDICES = """
    def train_epoch(model, criterion, optimizer, inputs, targets, *, batch_size, accumulate=1, generator=None):
        n = inputs.shape[0]
        permutation = torch.randperm(n, generator=generator)
        n_batches = (n + batch_size - 1) // batch_size
        summed_loss = 0.0
        pending = 0
        for b in range(n_batches):
            start = b * batch_size
            end = min(start + batch_size, n)
            indices = permutation[start:end]
            x = inputs.index_select(0, indices)
            t = targets.index_select(0, indices)
            loss = criterion(model(x), t)
            summed_loss += float(loss) * (end - start)
            grad = criterion.backward()
            model.backward(grad)
            pending += 1
            if pending == accumulate:
                optimizer.step()
                optimizer.zero_grad()
                pending = 0
        if pending > 0:
            optimizer.step()
            optimizer.zero_grad()
        return summed_loss / n
"""

TRAIN_GLOBAL_SEED = """
    def train(model, inputs, targets, *, epochs, batch_size, lr, momentum=0.0, accumulate=1, seed=None,
              progress=False, validation=None):
        if seed is not None:
            torch.manual_seed(seed)
        criterion = MSELoss()
        optimizer = SGD(model.param(), lr=lr, momentum=momentum)
        optimizer.zero_grad()
        history = History()
        for epoch in range(epochs):
            start = time.perf_counter()
            loss = train_epoch(model, criterion, optimizer, inputs, targets, batch_size=batch_size,
                               accumulate=accumulate)
            history.loss.append(loss)
            history.seconds.append(time.perf_counter() - start)
            print(f"epoch {epoch + 1}/{epochs}: loss {loss:.4f}")
            if validation is not None:
                history.validation_accuracy.append(accuracy(model, *validation))
        return history
"""

TRAINING = (
    Equivalent(
        "training_set_grad_enabled_call",
        "training.py calls torch.set_grad_enabled(False) once, at import, as the course handout asks",
        (Statement("framework/training.py", "torch.set_grad_enabled(False)  # the handout: autograd off"),),
    ),
    Equivalent(
        "training_set_grad_enabled_keyword",
        "training.py calls torch.set_grad_enabled(mode=False) at import: the same call, its argument named",
        (Statement("framework/training.py", "torch.set_grad_enabled(mode=False)"),),
    ),
    Equivalent(
        "train_global_seed",
        "train seeds torch's global generator with torch.manual_seed(seed), lets train_epoch shuffle "
        "with it (generator=None), and prints each epoch's loss",
        (Function("framework/training.py", "train", TRAIN_GLOBAL_SEED),),
    ),
    Equivalent(
        "accuracy_mean_item_set_grad_enabled",
        "accuracy concatenates the batches' predictions and returns (pred == y).float().mean().item(), "
        "under `with set_grad_enabled(False)` imported as `from torch import set_grad_enabled`",
        (
            Statement("framework/training.py", "from torch import set_grad_enabled"),
            Function("framework/training.py", "accuracy", ACCURACY_MEAN_ITEM),
        ),
    ),
    Equivalent(
        "train_epoch_split",
        "train_epoch iterates over torch.randperm(...).split(batch_size), steps on (i + 1) % accumulate and "
        "zeroes the gradients with model.zero_grad()",
        (Function("framework/training.py", "train_epoch", TRAIN_EPOCH_SPLIT),),
    ),
    Equivalent(
        "train_epoch_index_arithmetic",
        "train_epoch with batch bounds computed by hand, index_select, and a counter of pending batches",
        (Function("framework/training.py", "train_epoch", TRAIN_EPOCH_INDICES),),
    ),
)

SERIALIZATION_JSON = '''
    """Saving and loading models as JSON: plain text, numbers as lists, nothing that can run code."""

    import json

    import torch

    from .activations import NoActivation, ReLU, Sigmoid, Tanh
    from .linear import Linear
    from .sequential import Sequential

    CLASSES = {"Linear": Linear, "ReLU": ReLU, "Tanh": Tanh, "Sigmoid": Sigmoid, "NoActivation": NoActivation}
    DTYPES = {"float32": torch.float32, "float64": torch.float64}


    class ModelFileError(ValueError):
        """The file is not a model file written by save."""


    def to_json(architecture):
        """The architecture with its dtypes written as names."""
        if "modules" in architecture:
            return {"module": "Sequential", "modules": [to_json(part) for part in architecture["modules"]]}
        arguments = {}
        for key, value in architecture["arguments"].items():
            arguments[key] = str(value).replace("torch.", "") if isinstance(value, torch.dtype) else value
        return {"module": architecture["module"], "arguments": arguments}


    def from_json(architecture):
        """The modules the JSON architecture describes, from this framework's classes only."""
        if architecture["module"] == "Sequential":
            return Sequential(*[from_json(part) for part in architecture["modules"]])
        if architecture["module"] not in CLASSES:
            raise ModelFileError(f"unknown module {architecture['module']!r}")
        arguments = dict(architecture["arguments"])
        if "dtype" in arguments:
            arguments["dtype"] = DTYPES[arguments["dtype"]]
        return CLASSES[architecture["module"]](**arguments)


    def save(model, path):
        state = {}
        for name, tensor in model.state_dict().items():
            state[name] = {
                "dtype": str(tensor.dtype).replace("torch.", ""),
                "shape": list(tensor.shape),
                "values": tensor.flatten().tolist(),
            }
        contents = {"format": "framework-json/1", "architecture": to_json(model.architecture()), "state": state}
        with open(path, "w") as file:
            json.dump(contents, file)


    def load(path):
        try:
            with open(path) as file:
                contents = json.load(file)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ModelFileError(f"{path} is not a JSON model file: {error}") from error
        if not isinstance(contents, dict) or contents.get("format") != "framework-json/1":
            raise ModelFileError(f"{path} is not a model file of this framework")
        model = from_json(contents["architecture"])
        state = {}
        for name, entry in contents["state"].items():
            values = torch.tensor(entry["values"], dtype=DTYPES[entry["dtype"]])
            state[name] = values.reshape(entry["shape"])
        model.load_state_dict(state)
        return model
'''

SERIALIZATION_PLAIN_DICT = '''
    """Saving and loading models: torch.save of a plain dict, read back with weights_only=True."""

    import torch

    from .activations import NoActivation, ReLU, Sigmoid, Tanh
    from .linear import Linear
    from .sequential import Sequential

    CLASSES = {"Linear": Linear, "ReLU": ReLU, "Tanh": Tanh, "Sigmoid": Sigmoid, "NoActivation": NoActivation}


    class ModelFileError(ValueError):
        """The file is not a model file written by save."""


    def build(description):
        if description["module"] == "Sequential":
            return Sequential(*[build(part) for part in description["modules"]])
        return CLASSES[description["module"]](**description["arguments"])


    def save(model, path):
        parameters = [parameter.clone() for parameter, _ in model.param()]
        torch.save({"architecture": model.architecture(), "parameters": parameters}, path)


    def load(path):
        contents = torch.load(path, weights_only=True)
        if not isinstance(contents, dict) or set(contents) != {"architecture", "parameters"}:
            raise ModelFileError(f"{path} is not a model file of this framework")
        model = build(contents["architecture"])
        pairs = model.param()
        if len(pairs) != len(contents["parameters"]):
            raise ModelFileError(f"{path}: the parameters do not fit the architecture")
        for (parameter, _), saved in zip(pairs, contents["parameters"]):
            parameter.copy_(saved)
        return model
'''

SERIALIZATION = (
    Equivalent(
        "serialization_json",
        "save writes JSON (the architecture, each parameter as a list of numbers with its dtype and shape); "
        "load reads it with json.load and builds the modules from a table of classes",
        (File("framework/serialization.py", SERIALIZATION_JSON),),
    ),
    Equivalent(
        "serialization_plain_dict",
        "save is torch.save of a plain dict (the architecture and the list of param() tensors); load reads it "
        "with torch.load(weights_only=True) and copies the tensors back in param() order",
        (File("framework/serialization.py", SERIALIZATION_PLAIN_DICT),),
    ),
)

SEQUENTIAL_COMPREHENSION = '''
    """A network as a chain of modules, stored as a tuple."""

    import functools

    from .module import Module


    class Sequential(Module):
        """Chain modules: forward runs them in order, backward in reverse order."""

        def __init__(self, *modules):
            super().__init__()
            self.layers = tuple(modules)

        def forward(self, x):
            return functools.reduce(lambda value, module: module(value), self.layers, x)

        def backward(self, grad_output):
            for module in self.layers[::-1]:
                grad_output = module.backward(grad_output)
            return grad_output

        def param(self):
            return [pair for module in self.layers for pair in module.param()]

        def train(self, mode=True):
            for module in self.layers:
                module.train(mode)
            return super().train(mode)

        def architecture(self):
            return {"module": "Sequential", "modules": [module.architecture() for module in self.layers]}

        def state_dict(self):
            return {
                f"{position}.{name}": tensor
                for position, module in enumerate(self.layers)
                for name, tensor in module.state_dict().items()
            }

        def __len__(self):
            return len(self.layers)

        def __getitem__(self, index):
            return self.layers[index]

        def __iter__(self):
            return iter(self.layers)
'''

SEQUENTIAL_RECURSIVE = '''
    """A network as a chain of modules, walked recursively."""

    from .module import Module


    class Sequential(Module):
        """Chain modules: forward runs them in order, backward in reverse order."""

        def __init__(self, *modules):
            super().__init__()
            self.modules = list(modules)

        def forward(self, x):
            return self.forward_from(0, x)

        def forward_from(self, index, x):
            if index == len(self.modules):
                return x
            return self.forward_from(index + 1, self.modules[index](x))

        def backward(self, grad_output):
            return self.backward_to(len(self.modules), grad_output)

        def backward_to(self, end, grad_output):
            if end == 0:
                return grad_output
            return self.backward_to(end - 1, self.modules[end - 1].backward(grad_output))

        def param(self):
            return self.param_from(0)

        def param_from(self, index):
            if index == len(self.modules):
                return []
            return self.modules[index].param() + self.param_from(index + 1)

        def train(self, mode=True):
            self.training = mode
            for module in self.modules:
                module.train(mode)
            return self

        def architecture(self):
            return {"module": "Sequential", "modules": [module.architecture() for module in self.modules]}

        def state_dict(self):
            state = {}
            for position, module in enumerate(self.modules):
                for name, tensor in module.state_dict().items():
                    state[str(position) + "." + name] = tensor
            return state

        def __len__(self):
            return len(self.modules)

        def __getitem__(self, index):
            return self.modules[index]

        def __iter__(self):
            return iter(self.modules)
'''

SEQUENTIAL = (
    Equivalent(
        "sequential_comprehension",
        "Sequential keeps a tuple; forward with functools.reduce, backward over [::-1], param() as a "
        "list comprehension",
        (File("framework/sequential.py", SEQUENTIAL_COMPREHENSION),),
    ),
    Equivalent(
        "sequential_recursive",
        "Sequential walks its modules recursively in forward, backward and param()",
        (File("framework/sequential.py", SEQUENTIAL_RECURSIVE),),
    ),
)

FRAMEWORK = LINEAR + ACTIVATIONS + LOSS + SGD + TRAINING + SERIALIZATION + SEQUENTIAL
