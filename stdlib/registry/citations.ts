/** The papers the standard library reproduces; entries cite them in docs and hover. */
import type { Citation } from "./types.js";

export const papers = {
  lottery: { key: "liu-tegmark-2023", text: "Liu & Tegmark, A Neural Scaling Law from Lottery Ticket Ensembling, arXiv 2310.02258" },
  condensation: { key: "luo-2021", text: "Luo, Xu, Ma & Zhang, Phenomenon diagram of two-layer ReLU NNs, JMLR 2021; condensation lecture notes" },
  frequency: { key: "xu-2019", text: "Xu, Zhang, Luo, Xiao & Ma, Frequency Principle, 2019 (condensation notes)" },
  spectral: { key: "lazzari-liu-2023", text: "Lazzari & Liu, Understanding the Spectral Bias of Coordinate Based MLPs Via Training Dynamics, arXiv 2301.05816" },
  opposing: { key: "rosenfeld-risteski-2024", text: "Rosenfeld & Risteski, Outliers with Opposing Signals Have an Outsized Effect on Neural Network Optimization, ICLR 2024" },
  diversity: { key: "liu-2021-diversity", text: "Liu, Wang, Ren, Wang, Yin, Deng & Zhang, Trap of Feature Diversity in the Learning of MLPs, arXiv 2112.00980" },
  regions: { key: "montufar-2014", text: "Montúfar, Pascanu, Cho & Bengio, On the Number of Linear Regions of Deep Neural Networks, NeurIPS 2014; Hanin & Rolnick, Deep ReLU Networks Have Surprisingly Few Activation Patterns, NeurIPS 2019" },
  edgeOfStability: { key: "cohen-2021", text: "Cohen, Kaur, Li, Kolter & Talwalkar, Gradient Descent on Neural Networks Typically Occurs at the Edge of Stability, ICLR 2021" },
  pyhessian: { key: "yao-2020", text: "Yao, Gholami, Keutzer & Mahoney, PyHessian: Neural Networks Through the Lens of the Hessian, IEEE BigData 2020" },
  adamw: { key: "loshchilov-hutter-2019", text: "Loshchilov & Hutter, Decoupled Weight Decay Regularization, ICLR 2019; torch.optim.AdamW" },
  pytorch: { key: "pytorch", text: "PyTorch semantics (torch.nn / torch.optim)" },
} as const satisfies Record<string, Citation>;
