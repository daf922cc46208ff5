"""LeNet-5 (LeCun et al., 1998) for 32x32 grey-scale digits, with Tanh and average pooling."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet5(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.feature_extractor = nn.Sequential(
            nn.Conv2d(in_channels=1, out_channels=6, kernel_size=5, stride=1),   # C1: 6@28x28
            nn.Tanh(),
            nn.AvgPool2d(kernel_size=2),                                         # S2: 6@14x14
            nn.Conv2d(in_channels=6, out_channels=16, kernel_size=5, stride=1),  # C3: 16@10x10
            nn.Tanh(),
            nn.AvgPool2d(kernel_size=2),                                         # S4: 16@5x5
            nn.Conv2d(in_channels=16, out_channels=120, kernel_size=5, stride=1),  # C5: 120@1x1
            nn.Tanh(),
        )
        self.classifier = nn.Sequential(
            nn.Linear(in_features=120, out_features=84),  # F6
            nn.Tanh(),
            nn.Linear(in_features=84, out_features=num_classes),
        )

    def forward(self, x):  # x: [1, 1, 32, 32]
        x = self.feature_extractor(x)
        x = torch.flatten(x, 1)
        logits = self.classifier(x)
        return logits

    def predict(self, x):
        return F.softmax(self.forward(x), dim=1)
